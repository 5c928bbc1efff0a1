"""Every browsing page costs the same number of queries with a few rows or with 100,000.

A page whose query count grows with the team's size is an N+1; one whose queries read the whole
table is a plan problem. The first test compares two small sizes (fast, every run); the second
fills both teams with 100,000 finished tasks each (the other team's newest, as in
bench/bench_pages.py) and checks every page again: the same query counts as with a few rows,
and no query of any page scans the generations or items table (EXPLAIN of each one). The
100,000 rows are copies of one row made by two INSERT ... SELECT statements per team (seconds;
the ORM would need minutes), inside the test's transaction, so nothing outlives the test.
Timings belong to bench/bench_pages.py.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery.models import Board, BoardItem, Favourite, Generation, MediaItem, State
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def _add(team, user, n: int, start: int) -> list[MediaItem]:
    items = []
    for i in range(start, start + n):
        g = Generation.objects.create(
            team=team, user=user, kind="image", state=State.DONE, prompt=f"red fox owl {i}"
        )
        items.append(
            MediaItem.objects.create(
                team=team,
                generation=g,
                user=user,
                kind="image",
                media_kind="image",
                prompt=g.prompt,
                file=f"x{i}.png",
                sha256=f"{i:064x}",
            )
        )
    return items


@pytest.fixture
def world(team_a, owner_a, team_b, owner_b):
    items = _add(team_a, owner_a, 5, 0)
    _add(team_b, owner_b, 5, 100)
    parent = items[0]
    child = Generation.objects.create(
        team=team_a, user=owner_a, kind="mj", action="upscale", state=State.RUNNING, progress=40
    )
    child.source_items.add(parent)
    board = Board.objects.create(team=team_a, owner=owner_a, name="Foxes", shared=True)
    BoardItem.objects.create(board=board, item=items[1])
    Favourite.objects.create(user=owner_a, item=items[2])
    return {"parent": parent, "child": child, "board": board, "items": items}


def _pages(world, owner, alice) -> list[tuple[str, dict]]:
    history = alice.get("/history/?scope=team").content.decode()
    older = re.search(r'href="\?([^"]*before=[0-9_]+)"', history)
    return [
        ("/", {}),
        ("/gallery/", {}),
        ("/gallery/?kind=image", {}),
        (f"/gallery/?member={owner.pk}", {}),
        ("/gallery/?fav=1", {}),
        (f"/gallery/?board={world['board'].pk}", {}),
        ("/gallery/?q=fox", {}),
        ("/gallery/?q=fox+owl+1", {}),
        ("/gallery/?q=ox", {}),
        (f"/gallery/?after={world['items'][3].pk}", HTMX),
        (f"/gallery/{world['parent'].pk}/", {}),
        ("/history/", {}),
        ("/history/?scope=team&kind=image&state=done", {}),
        ("/history/?" + (older.group(1).replace("&amp;", "&") if older else ""), {}),
        ("/boards/", {}),
        (f"/tasks/poll/?ids={world['child'].pk}:-1", HTMX),
        (f"/tasks/{world['child'].pk}/", {}),
    ]


def _count(client, url: str, extra: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code in (200, 286), url
    return len(queries)


def test_every_page_costs_the_same_queries_at_any_size(
    world, team_a, owner_a, team_b, owner_b, alice
):
    _add(team_a, owner_a, 30, 10)  # more than a history page, so "Older" shows at both sizes
    alice.get("/")  # warm-up: the first request stores the current team in the session
    pages = _pages(world, owner_a, alice)
    for url, extra in pages:  # and the filter lists are cached from then on
        _count(alice, url, extra)
    small = {url: _count(alice, url, extra) for url, extra in pages}
    _add(team_a, owner_a, 70, 200)
    _add(team_b, owner_b, 40, 400)
    large = {url: _count(alice, url, extra) for url, extra in pages}
    assert large == small
    assert max(small.values()) <= 12, small


BIG = 100_000
SERIES = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) "


def _columns(model, **override) -> tuple[str, str]:
    """The INSERT column list and the SELECT list that copies a template row `t`, with
    OVERRIDE's expressions for some columns."""
    names = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    picked = [override.get(name, f"t.{connection.ops.quote_name(name)}") for name in names]
    return ", ".join(map(connection.ops.quote_name, names)), ", ".join(picked)


def _fill(team, user, n: int) -> None:
    """N more finished tasks of USER in TEAM, each with one result, copied from one template."""
    (template,) = _add(team, user, 1, 10_000_000 + team.pk)
    g_table, i_table = Generation._meta.db_table, MediaItem._meta.db_table
    first = Generation.objects.order_by("-pk").values_list("pk", flat=True).first()
    rare = "CASE WHEN s.n %% 5000 = 0 THEN ' quokka' ELSE '' END"
    g_cols, g_select = _columns(Generation, prompt=f"'red fox owl ' || s.n || {rare}")
    i_cols, i_select = _columns(
        MediaItem, generation_id="g.id", prompt="g.prompt", sha256="'f' || g.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"{SERIES}INSERT INTO {g_table} ({g_cols}) SELECT {g_select} FROM {g_table} t, s "
            "WHERE t.id = %s",
            [n, template.generation_id],
        )
        cursor.execute(
            f"INSERT INTO {i_table} ({i_cols}) SELECT {i_select} FROM {i_table} t, {g_table} g "
            "WHERE t.id = %s AND g.team_id = %s AND g.id > %s",
            [template.pk, team.pk, first],
        )


def _full_scans(sql: str) -> list[str]:
    """The steps of SQL's plan that read the whole generations or items table."""
    big = "(gallery_generation|gallery_mediaitem)"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            steps = [str(row[-1]) for row in cursor.fetchall()]
            return [s for s in steps if re.match(rf"SCAN {big}\b(?! USING)", s)]
        cursor.execute("EXPLAIN " + sql)
        steps = [str(row[0]) for row in cursor.fetchall()]
        return [s for s in steps if re.search(rf"Seq Scan on {big}\b", s)]


def _page(url: str) -> str:
    return re.sub(r"before=[0-9_]+", "before=…", url)  # the older-page link of either size


def test_every_page_at_100000_items_per_team(world, team_a, owner_a, team_b, owner_b, alice):
    _add(team_a, owner_a, 30, 10)
    alice.get("/")
    pages = _pages(world, owner_a, alice)
    for url, extra in pages:
        _count(alice, url, extra)
    small = {_page(url): _count(alice, url, extra) for url, extra in pages}

    _fill(team_a, owner_a, BIG)
    _fill(team_b, owner_b, BIG)  # the other team's rows are the newest in the table
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics of a table of this size, as in production
    assert MediaItem.objects.filter(team=team_a).count() > BIG
    pages = _pages(world, owner_a, alice)  # the history cursor of the bigger history
    large, scans = {}, {}
    for url, extra in pages:
        with CaptureQueriesContext(connection) as queries:
            response = alice.get(url, **extra)
        assert response.status_code in (200, 286), url
        large[_page(url)] = len(queries)
        found = [step for q in queries.captured_queries for step in _full_scans(q["sql"])]
        if found:
            scans[url] = found
    assert large == small
    assert scans == {}
