"""Background polling of assets under review (Processing → Active or Failed)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accounts.models import Team

from . import sync
from .models import Asset, AssetStatus

POLL_EVERY = timedelta(seconds=3)
logger = logging.getLogger(__name__)


def start_polling(team: Team) -> None:
    transaction.on_commit(
        lambda: poll_assets.using(run_after=timezone.now() + POLL_EVERY).enqueue(team.pk)
    )


@task()
def poll_assets(team_id: int) -> int:
    """Refresh the team's Processing assets; come back while any are still under review."""
    team = Team.objects.get(pk=team_id)
    processing = list(
        Asset.objects.filter(team=team, status=AssetStatus.PROCESSING, gone_at__isnull=True)[:200]
    )
    if not processing:
        return 0
    still = sync.refresh(team, processing)
    if still:
        poll_assets.using(run_after=timezone.now() + POLL_EVERY).enqueue(team_id)
    return still


@task()
def sync_all_teams() -> None:
    """Periodic sync: run from cron or a scheduler (`manage.py sync_assets`)."""
    for team in Team.objects.all():
        if team.needs_key:  # no key and demo mode off: nothing to sync with
            continue
        try:
            sync.sync_team(team)
        except Exception:  # one team's bad key must not stop the others
            logger.exception("asset sync failed for team %s", team.pk)
