"""Gallery speed at 10,000 items: the real page against a bare view of the same 60 rows, and the
query plans of filtered and searched queries.

    .venv/bin/python -m bench.bench_gallery [--count 10000] [--rounds 30]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zcheap_bench .venv/bin/python -m bench.bench_gallery
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

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402


def timed_alternately(fns, rounds: int) -> list[float]:
    """Median of each of FNS, sampled in turn so all see the same machine noise."""
    for _ in range(3):
        for fn in fns:
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, times in zip(fns, samples, strict=True):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return [statistics.median(times) for times in samples]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.ROOT_URLCONF = "bench.gallery_urls"
    settings.DEBUG = False
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_gallery", "--count", str(args.count), "--team", "Benchmark team")
    # A second team of the same size, so the plans below are those of a shared database where
    # the team filter matters (with one team, a plain scan by id is rightly as good).
    call_command(
        "seed_gallery",
        "--count",
        str(args.count),
        "--team",
        "Other team",
        "--owner",
        "other@example.com",
    )
    print(
        f"seeded 2 × {args.count} items in {time.perf_counter() - started:.1f} s ({connection.vendor})"
    )
    from accounts.models import Team, User
    from gallery.browse.filters import gallery_queryset

    user = User.objects.get(email="bench@example.com")
    team = Team.objects.get(name="Benchmark team")
    client = Client()
    client.force_login(user)

    def page():
        assert client.get("/gallery/").status_code == 200

    def page_cold():
        cache.clear()  # the member and board lists of the filter form read from the database
        assert client.get("/gallery/").status_code == 200

    def bare():
        assert client.get("/bench-bare/").status_code == 200

    real, cold, minimal = timed_alternately([page, page_cold, bare], args.rounds)
    print(f"gallery page (60 of {args.count})   {real * 1000:6.1f} ms median")
    print(f"  same, filter lists not cached    {cold * 1000:6.1f} ms median")
    print(f"bare view, same 60 rows, same stack {minimal * 1000:5.1f} ms median")
    print(f"ratio                              {real / minimal:6.2f}×  (target ≤ 1.5×)")
    print(f"ratio, filter lists not cached     {cold / minimal:6.2f}×")
    settings.DEBUG = True
    reset_queries()
    page()
    print(f"queries per gallery page           {len(connection.queries)}")

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics after the bulk insert, as in production
    print("\nquery plans")
    base = gallery_queryset(team, user)
    for label, qs in [
        ("newest page", base),
        ("kind=video", base.filter(kind="video")),
        ("member", base.filter(user=user)),
        ("search 'fox'", base.filter(prompt__icontains="fox")),
        ("deep page (cursor)", base.filter(pk__lt=500)),
    ]:
        sql, params = qs[:61].query.sql_with_params()
        with connection.cursor() as cursor:
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(prefix + sql, params)
            rows = cursor.fetchall()
        lines = [str(r[-1]).strip() for r in rows]
        if connection.vendor == "postgresql":
            lines = [line for line in lines if "->" in line or line == lines[0]]
        print(f"  {label:<20} " + " | ".join(lines[:3])[:230])


if __name__ == "__main__":
    main()
