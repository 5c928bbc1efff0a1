"""The grid reads one team's rows through the team index, also when another team's rows are
newer (PostgreSQL used to walk the primary key past all of them). Timings are bench/'s job;
this checks the plan the database picks, on small data with fresh statistics."""

from __future__ import annotations

import pytest
from django.db import connection

from gallery.browse.filters import gallery_queryset
from gallery.models import Generation, MediaItem

pytestmark = pytest.mark.django_db


def _fill(team, user, n: int) -> None:
    MediaItem.objects.bulk_create(
        MediaItem(team=team, user=user, kind="image", media_kind="image", prompt="p", file="x")
        for _ in range(n)
    )


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # small tables: force an index
        cursor.execute(prefix + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def test_the_grid_uses_the_team_index_when_another_team_is_newer(team_a, owner_a, team_b, owner_b):
    _fill(team_a, owner_a, 2000)
    _fill(team_b, owner_b, 2000)  # newer rows, all another team's
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    plan = _plan(gallery_queryset(team_a, owner_a)[:61])
    assert "item_team_live_id" in plan, plan
    assert "pkey" not in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_lineage_finds_what_was_made_from_an_item_by_index(team_a, owner_a):
    from gallery.browse.views import made_from

    parent = Generation.objects.create(team=team_a, user=owner_a, kind="mj", action="imagine")
    item = MediaItem.objects.create(
        team=team_a, generation=parent, kind="mj", media_kind="image", file="x"
    )
    Generation.objects.bulk_create(
        Generation(team=team_a, user=owner_a, kind="image") for _ in range(2000)
    )
    child = Generation.objects.create(
        team=team_a, user=owner_a, kind="mj", action="upscale", parent=parent, parent_index=1
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert made_from(item) == [child.pk]
    acted_on = Generation.objects.filter(parent=parent, parent_index=1).order_by().values("pk")
    assert "gen_parent" in _plan(acted_on)
