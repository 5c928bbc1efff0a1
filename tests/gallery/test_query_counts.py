"""Every browsing page costs the same number of queries with a few rows or many.

A page whose query count grows with the team's size is an N+1; one that stays flat here and is
still slow at 100,000 rows is a plan problem, which bench/bench_pages.py measures (these tests
use small data on purpose).
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
