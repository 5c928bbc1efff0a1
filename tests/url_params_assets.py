"""URL parameters of the asset pages, as team-A objects (for tests/test_cross_team.py)."""

from __future__ import annotations

import uuid

from assets.models import Asset, AssetGroup


def _group(ctx) -> AssetGroup:
    return AssetGroup.objects.create(
        team=ctx["team_a"], remote_id=f"group-{uuid.uuid4().hex[:8]}", name="A group"
    )


FACTORIES = {
    "group_id": lambda ctx: _group(ctx).pk,
    "asset_id": lambda ctx: (
        Asset.objects.create(
            team=ctx["team_a"],
            group=_group(ctx),
            remote_id=f"asset-{uuid.uuid4().hex[:8]}",
            name="A asset",
        ).pk
    ),
}
