"""URL parameters of the presets app (presets, batches), as team-A objects (test_cross_team.py)."""

from __future__ import annotations

import itertools

from presets.models import Batch, Preset

_numbers = itertools.count(1)


def _preset(ctx) -> int:
    return Preset.objects.create(
        team=ctx["team_a"],
        owner=ctx["owner_a"],
        name=f"House style {next(_numbers)}",
        kind="image",
        shared=True,
    ).pk


def _batch(ctx) -> int:
    return Batch.objects.create(
        team=ctx["team_a"], user=ctx["owner_a"], name="Banners", kind="image"
    ).pk


FACTORIES = {"preset_id": _preset, "batch_id": _batch}
