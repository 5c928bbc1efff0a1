"""Every browsing page at 100,000 items per team (two such teams) against a bare render.

    .venv/bin/python -m bench.bench_pages [--count 100000] [--rounds 20]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zcheap_bench .venv/bin/python -m bench.bench_pages

The benchmark team is seeded first and the other team second, so the other team's rows are the
newest in the table: a plan that walks the primary key instead of a team index has to step over
all of them. Each page is timed alternately with the bare view (the same grid query through the
same middleware, a one-line template), medians of ROUNDS; then the SQL of the searches on its own.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

TMP = setup_django()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402

OLDER = re.compile(r'href="\?([^"]*(?:page=2|before=)[^"]*)"')


def seed(count: int, reuse: bool) -> None:
    call_command("migrate", verbosity=0)
    from gallery.models import MediaItem

    if reuse and MediaItem.objects.filter(team__name="Other team").count() == count:
        print(f"reusing 2 × {count:,} items ({connection.vendor})")
        return
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("seed_gallery", "--count", str(count), "--team", "Benchmark team")
    call_command(
        "seed_gallery", "--count", str(count), "--team", "Other team", "--owner", "o@example.com"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics after the bulk insert, as in production
    print(
        f"seeded 2 × {count:,} items in {time.perf_counter() - started:.0f} s ({connection.vendor})"
    )


def pages(client: Client, team, user) -> list[tuple]:
    """(label, page URL[, bare URL]): without a bare URL the page is compared with the grid's."""
    from gallery.models import MediaItem

    items = MediaItem.objects.filter(team=team).order_by("pk").values_list("pk", flat=True)
    oldest = list(items[:200])
    middle_pk = items[items.count() // 2]
    history = client.get("/history/").content.decode()
    older = OLDER.search(history)
    history_bare = "/bench-bare/history/"
    older_query = older.group(1).replace("&amp;", "&") if older else "page=2"
    return [
        ("first page", "/gallery/"),
        ("kind filter", "/gallery/?kind=video"),
        ("member filter", f"/gallery/?member={user.pk}"),
        ("rare word search", "/gallery/?q=quokka"),
        ("common word search", "/gallery/?q=fox"),
        ("two-word search", "/gallery/?q=fox+night"),
        ("deep scroll", f"/gallery/?after={oldest[-1]}"),
        ("item detail", f"/gallery/{middle_pk}/", f"/bench-bare/item/{middle_pk}/"),
        ("item detail", f"/gallery/{middle_pk}/", f"/bench-bare/item-page/{middle_pk}/"),
        ("history (mine)", "/history/", history_bare),
        ("history, next page", f"/history/?{older_query}", f"{history_bare}?{older_query}"),
        ("history (team)", "/history/?scope=team", f"{history_bare}?scope=team"),
        ("home", "/"),
    ]


BARE_KINDS = {"": "grid", "item": "same row", "item-page": "same row in the layout"}


def timed_alternately(fns, rounds: int) -> list[tuple[float, float]]:
    """(wall, CPU) medians of each of FNS, sampled in turn so all see the same machine noise.

    CPU is this process's own time (the client, the whole Django stack and, on SQLite, the
    database): on a machine shared with other work it moves far less than the wall clock.
    """
    for _ in range(3):
        for fn in fns:
            fn()
    samples: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, times in zip(fns, samples, strict=True):
            t, c = time.perf_counter(), time.process_time()
            fn()
            times.append((time.perf_counter() - t, time.process_time() - c))
    return [
        (statistics.median(w for w, _c in times), statistics.median(c for _w, c in times))
        for times in samples
    ]


def sql_time(queryset, rounds: int) -> float:
    sql, params = queryset.query.sql_with_params()
    times = []
    with connection.cursor() as cursor:
        for _ in range(rounds):
            t = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded before")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.ROOT_URLCONF = "bench.gallery_urls"
    settings.DEBUG = False
    seed(args.count, args.reuse)
    from accounts.models import Team, User
    from gallery.browse.filters import GalleryFilters, gallery_queryset

    user = User.objects.get(email="bench@example.com")
    team = Team.objects.get(name="Benchmark team")
    client = Client()
    client.force_login(user)

    print(
        f"\n{'page':<22} {'ms':>7} {'bare ms':>8} {'ratio':>6} {'CPU ratio':>9} {'queries':>8}  bare"
    )
    for label, url, *bare_url in pages(client, team, user):
        bare_url = bare_url[0] if bare_url else "/bench-bare/"

        def page(url=url):
            assert client.get(url).status_code == 200, url

        def bare(url=bare_url):
            assert client.get(url).status_code == 200, url

        (real, real_cpu), (minimal, minimal_cpu) = timed_alternately([page, bare], args.rounds)
        settings.DEBUG = True
        reset_queries()
        page()
        queries = len(connection.queries)
        settings.DEBUG = False
        print(
            f"{label:<22} {real * 1000:7.1f} {minimal * 1000:8.1f} {real / minimal:6.2f} "
            f"{real_cpu / minimal_cpu:9.2f} {queries:8d}"
            f"  {BARE_KINDS.get(bare_url.split('/')[2], 'same rows')}"
        )

    print("\nSQL of the grid query alone (median of 50)")
    base = gallery_queryset(team, user)
    for label, q in [("rare word", "quokka"), ("common word", "fox"), ("two words", "fox night")]:
        filters = GalleryFilters(q=q)
        queryset = filters.apply(base, user)[:61]
        print(f"  {label:<12} {sql_time(queryset, 50) * 1000:6.2f} ms")
    sql, params = base[:61].query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
        cursor.execute(prefix + sql, params)
        lines = [str(r[-1]).strip() for r in cursor.fetchall()]
    print("first page plan: " + " | ".join(lines[:4])[:300])


if __name__ == "__main__":
    main()
