"""URL parameters of the gallery pages, as team-A objects (for tests/test_cross_team.py)."""

from __future__ import annotations

from gallery.models import Board
from tests.factories import make_generation, make_item

FACTORIES = {
    "item_id": lambda ctx: make_item(make_generation(ctx["team_a"], ctx["owner_a"])).pk,
    "variant": lambda ctx: "original",
    "board_id": lambda ctx: (
        Board.objects.create(team=ctx["team_a"], owner=ctx["owner_a"], name="A", shared=True).pk
    ),
}
