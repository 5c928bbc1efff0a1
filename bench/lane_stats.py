"""Shared by the in-process lane benchmarks (bench_ingest_lane, bench_submit_lane): every SQL
statement the lane threads run, counted (and, with BENCH_SQL_SHAPES=1, grouped by shape), and a
benchmark team on the fake upstream. Import after Django is set up."""

from __future__ import annotations

import collections
import os
import re
import threading

from django.db.backends.signals import connection_created

_lock = threading.Lock()
statements = {"n": 0}
shapes: collections.Counter | None = (
    collections.Counter() if os.environ.get("BENCH_SQL_SHAPES") else None
)


def _counting(execute, sql, params, many, context):
    if threading.current_thread() is not threading.main_thread():  # not the bench's own checks
        with _lock:
            statements["n"] += 1
            if shapes is not None:
                shapes[re.sub(r"\d+", "N", sql)[:150]] += 1
    return execute(sql, params, many, context)


def _wrap(sender, connection, **kwargs):
    if _counting not in connection.execute_wrappers:  # a reconnect keeps the wrapper object
        connection.execute_wrappers.append(_counting)


def count_statements() -> None:
    """From now on, count the statements of every connection a thread other than this one
    opens (this thread's connection is closed, so it reopens counted too)."""
    from django.db import connection

    connection_created.connect(_wrap)
    connection.close()


def print_shapes(per: int) -> None:
    """The most frequent statement shapes, per PER (results, submits), then forget them."""
    if shapes is not None:
        for shape, n in shapes.most_common(25):
            print(f"{n / max(per, 1):7.2f}  {shape}")
        shapes.clear()


def bench_team(fake, round_no: int):
    """(team, owner) for one round, on FAKE's base URL (the database was just flushed)."""
    from accounts.models import Membership, Team, User

    team = Team.objects.create(name="bench", base_url=fake.url)
    team.set_api_key("bench-key")
    team.save()
    user = User.objects.create_user(f"bench{round_no}@example.com", "pw-bench-lanes-1")
    Membership.objects.create(team=team, user=user, role="owner")
    return team, user
