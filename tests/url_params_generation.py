"""URL parameters of the generation pages, as team-A objects (for tests/test_cross_team.py)."""

from __future__ import annotations

from gallery.models import Kind
from tests.factories import make_generation, make_item


def _done_mj(ctx) -> int:
    generation = make_generation(ctx["team_a"], ctx["owner_a"], kind=Kind.MIDJOURNEY)
    make_item(generation)
    return generation.pk


FACTORIES = {
    "generation_id": _done_mj,
    "index": lambda ctx: 1,
}
