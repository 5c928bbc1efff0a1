"""Periodic refresh of every team's price list, balance and usage log (rides on the worker's
reconcile loop, every SPEND_REFRESH_SECONDS)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from accounts.models import Team

log = logging.getLogger(__name__)


def refresh_team(team: Team) -> dict:
    """Prices, balance and the usage log of one team, now (never raises)."""
    from gallery.generation import client_for_team

    from .balance import refresh_balance
    from .budget import apply_usage_log, settle_missed
    from .prices import account_for, refresh_prices

    if team.needs_key:
        return {}
    account = refresh_prices(team, account_for(team))
    refresh_balance(team, account)
    changed = settle_missed(team)
    try:
        with client_for_team(team, max_retries=0) as client:
            lines = client.usage_log()
        changed = apply_usage_log(team, lines)
    except Exception as error:
        log.info("usage log of team %s not read: %r", team.pk, error)
    return {"ledger_changed": changed}


@task()
def refresh_all_teams() -> int:
    count = 0
    for team in Team.objects.all().iterator():
        refresh_team(team)
        count += 1
    return count


def refresh_when_due() -> bool:
    """Enqueue the refresh when SPEND_REFRESH_SECONDS have passed (one claim per period)."""
    from gallery.models import WorkerLoop

    seconds = getattr(settings, "SPEND_REFRESH_SECONDS", 600)
    if not seconds:
        return False
    now = timezone.now()
    loop, _created = WorkerLoop.objects.get_or_create(
        name="spend-refresh", defaults={"run_at": now}
    )
    due = loop.run_at is None or loop.run_at <= now
    if due and WorkerLoop.objects.filter(name="spend-refresh", run_at=loop.run_at).update(
        run_at=now + timedelta(seconds=seconds)
    ):
        refresh_all_teams.enqueue()
        return True
    return False
