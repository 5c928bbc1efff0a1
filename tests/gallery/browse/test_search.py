"""Prompt search: index-backed on both databases, and the same answer on both.

CI runs this file on SQLite (FTS5 trigram table) and on PostgreSQL (pg_trgm index); each run
compares the database's answer with the plain definition (every word contained, case ignored),
so both databases give the same results for the same words.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from gallery import search
from gallery.browse.filters import GalleryFilters, gallery_queryset
from gallery.models import MediaItem

pytestmark = pytest.mark.django_db

PROMPTS = [
    "A red fox in the snow",
    "red FOXES at night",
    "an owl, a fox and a castle",
    "Lighthouse at dusk",
    "一只狐狸在雪中奔跑",
    "雪中的城堡",
    'the "quoted" fox',
    "100% cotton tea cup",
    "snake_case and under_score",
    "",
]
QUERIES = [
    "fox",
    "FOX",
    "Fox Red",
    "ox",
    "foxes night",
    "light",
    "castle owl fox",
    "狐狸",
    "雪中狐",
    "雪中",
    '"quoted"',
    "0%",
    "100%",
    "e_c",
    "case_and",
    "NEAR",
    "fox*",
    "fox OR owl",
    "-fox",
    "nothing-like-this",
]


def _item(team, user, prompt: str, **fields) -> MediaItem:
    return MediaItem.objects.create(
        team=team,
        user=user,
        kind="image",
        media_kind="image",
        prompt=prompt,
        file="x.png",
        **fields,
    )


def _search(team, user, q: str) -> set[int]:
    queryset = GalleryFilters(q=q).apply(gallery_queryset(team, user), user)
    return set(queryset.values_list("pk", flat=True))


def _expected(items: list[MediaItem], q: str) -> set[int]:
    words = [w.casefold() for w in search.words_of(q)]
    return {i.pk for i in items if all(w in i.prompt.casefold() for w in words)}


def test_search_finds_prompts_containing_every_word_whatever_the_case(team_a, owner_a, team_b):
    items = [_item(team_a, owner_a, p) for p in PROMPTS]
    _item(team_b, owner_a, "A red fox in the snow")  # another team's match never shows
    _item(team_a, owner_a, "a deleted red fox", deleted_at=timezone.now())
    for q in QUERIES:
        assert _search(team_a, owner_a, q) == _expected(items, q), q
    assert len(_search(team_a, owner_a, "fox")) == 4  # not a test of nothing


def test_search_follows_edits_and_deletions(team_a, owner_a):
    item = _item(team_a, owner_a, "a quiet harbour")
    assert _search(team_a, owner_a, "harbour") == {item.pk}
    MediaItem.objects.filter(pk=item.pk).update(prompt="a noisy market")
    assert _search(team_a, owner_a, "harbour") == set()
    assert _search(team_a, owner_a, "market") == {item.pk}
    MediaItem.objects.filter(pk=item.pk).delete()
    _item(team_a, owner_a, "another market")
    assert len(_search(team_a, owner_a, "market")) == 1


def test_the_search_uses_the_index(team_a, owner_a):
    sql = str(GalleryFilters(q="fox").apply(gallery_queryset(team_a, owner_a), owner_a).query)
    if connection.vendor == "sqlite":
        assert search.FTS_TABLE in sql
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'item_prompt_trgm'")
            (definition,) = cursor.fetchone()
        assert "gin_trgm_ops" in definition and "upper(prompt)" in definition
        assert 'UPPER("gallery_mediaitem"."prompt"' in sql


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table")
def test_a_rebuilt_table_gets_its_search_triggers_back(team_a, owner_a):
    """Django rebuilds a SQLite table to alter it, dropping its triggers; migrate repairs them."""
    with connection.cursor() as cursor:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER {search.FTS_TABLE}_{suffix}")
    missed = _item(team_a, owner_a, "a lonely walrus")  # written while the triggers were gone
    search.ensure_sqlite_index()
    _item(team_a, owner_a, "a second walrus")
    assert len(_search(team_a, owner_a, "walrus")) == 2 and missed.pk in _search(
        team_a, owner_a, "lonely"
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's rare/common verdicts")
def test_a_kept_verdict_never_changes_what_a_search_finds(team_a, owner_a, monkeypatch):
    """A word's rare/common verdict is kept a while: the answer must not depend on it."""
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(search, "RARE_MATCHES", 3)
    first = [_item(team_a, owner_a, f"an otter {i}") for i in range(2)]
    owls = [_item(team_a, owner_a, f"an owl {i}") for i in range(5)]
    assert _search(team_a, owner_a, "otter") == {i.pk for i in first}  # rare: the FTS table
    assert _search(team_a, owner_a, "owl") == {i.pk for i in owls}  # common: the team index
    more = [_item(team_a, owner_a, f"another otter {i}") for i in range(4)]  # now common
    MediaItem.objects.filter(pk__in=[o.pk for o in owls[1:]]).delete()  # now rare
    with CaptureQueriesContext(connection) as queries:
        assert _search(team_a, owner_a, "OTTER") == {i.pk for i in first + more}
        assert _search(team_a, owner_a, "owl") == {owls[0].pk}
    assert len(queries) == 2  # the verdicts were kept: no counting query
