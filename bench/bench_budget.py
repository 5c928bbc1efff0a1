"""What the budget check adds to a submit (issue 14: at most one query and under 1 ms).

Times `create_generations` (the one function every submit goes through) with the real budget
reservation against the same call with the reservation's UPDATE left out (the estimate is still
made), alternating the two so both see the same machine noise, and counts the queries of each.

    .venv/bin/python -m bench.bench_budget [--rounds 300]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zcheap_bench .venv/bin/python -m bench.bench_budget
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

TMP = setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)

    from accounts.models import Membership, Role, Team, User
    from gallery.generation import NewGeneration, create_generations, creating
    from gallery.generation import tasks as generation_tasks
    from spend import budget
    from spend.models import Budget
    from spend.prices import prices_for

    team = Team.objects.create(name="Bench")
    user = User.objects.create_user(f"bench-{time.time_ns()}@example.com", "x")
    Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    prices_for(team)  # the price list, read once (as the worker keeps it)
    Budget.objects.filter(team=team).update(limit_micros=10**15)
    creating.start_generation = lambda generation: None  # measure the database work only
    generation_tasks.start_generation = creating.start_generation
    new = [NewGeneration(kind="image", model="gemini-3-pro-image-preview", prompt="fox")]

    real_take = budget._take

    def skip_update(team, user, amount, month, need_known):
        return []  # what reserve() does without the check: the estimate only

    def with_check():
        budget._take = real_take
        create_generations(team, user, new)

    def without_check():
        budget._take = skip_update
        create_generations(team, user, new)

    counts = []
    for fn in (with_check, without_check):
        with CaptureQueriesContext(connection) as queries:
            fn()
        counts.append(len(queries.captured_queries))
    for _ in range(20):
        with_check()
        without_check()
    samples: list[list[float]] = [[], []]
    for _ in range(args.rounds):
        for fn, times in zip((with_check, without_check), samples, strict=True):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    alone, ping = [], []
    from django.db import transaction

    from spend.models import current_month

    for _ in range(args.rounds):
        with transaction.atomic():
            with connection.cursor() as cursor:  # BEGIN goes out with the first statement:
                cursor.execute("SELECT 1")  # not timed, as a submit's INSERTs pay it anyway
            t = time.perf_counter()
            real_take(team, user, 134_000, current_month(), False)
            alone.append(time.perf_counter() - t)
            t = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchall()
            ping.append(time.perf_counter() - t)
    with_ms, without_ms = (statistics.median(s) * 1000 for s in samples)
    p95 = [sorted(s)[int(len(s) * 0.95)] * 1000 for s in samples]
    print(f"database: {connection.vendor}, {args.rounds} submits each, medians (p95)")
    print(f"submit with the budget check:    {with_ms:.3f} ms ({p95[0]:.3f}), {counts[0]} queries")
    print(
        f"submit without the budget check: {without_ms:.3f} ms ({p95[1]:.3f}), {counts[1]} queries"
    )
    print(
        f"the check's UPDATE alone: {statistics.median(alone) * 1000:.3f} ms median "
        f"(a SELECT 1 round trip: {statistics.median(ping) * 1000:.3f} ms)"
    )
    print(
        f"the check adds {with_ms - without_ms:.3f} ms and {counts[0] - counts[1]} query "
        f"({with_ms / without_ms:.2f}×)"
    )


if __name__ == "__main__":
    main()
