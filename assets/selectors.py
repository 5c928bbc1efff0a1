"""What other forms need from the asset library."""

from __future__ import annotations

from .models import Asset, AssetStatus


def active_assets_for(team, asset_type: str = ""):
    """Active, not-gone assets of TEAM (optionally only Image/Video/Audio), newest first."""
    assets = Asset.objects.filter(
        team=team, status=AssetStatus.ACTIVE, gone_at__isnull=True
    ).select_related("group")
    if asset_type:
        assets = assets.filter(asset_type=asset_type)
    return assets
