"""Skip the per-request `SELECT 1` of CONN_HEALTH_CHECKS while a connection is fresh.

With `CONN_HEALTH_CHECKS` Django checks a kept connection (a `SELECT 1` round trip) before the
first query of every request. A card poll makes three queries, so that is a quarter of its round
trips, each a wake-up of the database server and of the worker thread on a busy machine. A
connection that served a request without error less than FRESH_SECONDS ago is used as it is;
one idle for longer is checked as before. If the server went away within that second (a
restart), the request that finds out fails, as any request during the restart would, and
Django closes the broken connection at its end; the next request connects afresh.
"""

from __future__ import annotations

import time

from django.core.signals import request_finished, request_started
from django.db import connections

FRESH_SECONDS = 1.0


def _fresh_at_end(**kwargs) -> None:
    """After Django's own end-of-request check: remember when each kept connection was fine."""
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.errors_occurred:
            connection.zcheap_fine_at = now
        else:
            connection.zcheap_fine_at = None


def _skip_check_when_fresh(**kwargs) -> None:
    """After Django's start-of-request reset: a connection fine a moment ago needs no check."""
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        fine_at = getattr(connection, "zcheap_fine_at", None)
        if (
            connection.connection is not None
            and fine_at is not None
            and now - fine_at < FRESH_SECONDS
        ):
            connection.health_check_done = True


# Connected after django.db's close_old_connections (imported, so connected, long before).
request_finished.connect(_fresh_at_end, dispatch_uid="zcheap_db_fresh_at_end")
request_started.connect(_skip_check_when_fresh, dispatch_uid="zcheap_db_skip_fresh_check")
