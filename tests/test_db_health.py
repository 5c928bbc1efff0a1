"""A kept database connection is checked (`SELECT 1`) before a request's first query only when
it has not served a request without error for a second (zcheap_site/db_health.py): a card poll
makes 3 round trips, not 4."""

from __future__ import annotations

import pytest
from django.db import connection

from zcheap_site import db_health

pytestmark = pytest.mark.django_db


@pytest.fixture
def checks(monkeypatch):
    connection.ensure_connection()
    assert connection.health_check_enabled  # CONN_HEALTH_CHECKS, as in production
    calls = []

    def is_usable():
        calls.append(1)
        return True

    monkeypatch.setattr(connection, "is_usable", is_usable)
    yield calls
    connection.zcheap_fine_at = None


def _next_request() -> None:
    """What Django does between two requests, with our receivers after its own."""
    connection.health_check_done = False  # close_old_connections at request start
    db_health._skip_check_when_fresh()
    connection.close_if_health_check_failed()  # before the request's first query


def test_a_connection_fine_a_moment_ago_is_not_checked_again(checks):
    db_health._fresh_at_end()
    _next_request()
    assert checks == []


def test_an_idle_connection_is_checked(checks, monkeypatch):
    db_health._fresh_at_end()
    monkeypatch.setattr(db_health, "FRESH_SECONDS", 0)
    _next_request()
    assert checks == [1]


def test_a_connection_that_failed_is_checked(checks, monkeypatch):
    monkeypatch.setattr(connection, "errors_occurred", True)
    db_health._fresh_at_end()
    _next_request()
    assert checks == [1]


def test_a_new_connection_is_not_skipped_on_an_old_ones_word(checks):
    connection.zcheap_fine_at = None  # never served a request
    _next_request()
    assert checks == [1]
