"""The team's cached price list (`/api/pricing`): refreshed by the worker and on demand."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Team

from .estimate import PriceTable, Request, estimate
from .models import SpendAccount

log = logging.getLogger(__name__)
# Parsed tables by (team, when read): a request estimating several tasks parses the list once.
_TABLES: dict[tuple[int, str], PriceTable | None] = {}
# A team without a price list tries again on demand at most this often.
RETRY_AFTER = timedelta(seconds=60)


def account_for(team: Team) -> SpendAccount:
    account, created = SpendAccount.objects.get_or_create(team=team)
    if created:  # the team's budget row exists from the start (the reservation expects it)
        from .models import Budget

        Budget.objects.get_or_create(team=team, user=None)
    return account


def group() -> str:
    return getattr(settings, "ZCHEAP_GROUP", "default") or "default"


def table_of(account: SpendAccount | None) -> PriceTable | None:
    if account is None or not account.prices:
        return None
    key = (account.team_id, account.prices_at.isoformat() if account.prices_at else "")
    if key not in _TABLES:
        if len(_TABLES) > 500:
            _TABLES.clear()
        _TABLES[key] = PriceTable.from_json(account.prices)
    return _TABLES[key]


def refresh_prices(team: Team, account: SpendAccount | None = None) -> SpendAccount:
    """Read the price list now; a failure keeps the last good list and records why."""
    from gallery.generation import client_for_team

    account = account or account_for(team)
    now = timezone.now()
    try:
        with client_for_team(team, max_retries=0) as client:
            pricing = client.pricing()
    except Exception as error:  # any failure: prices stay as they were, with the reason
        log.info("price list of team %s not read: %r", team.pk, error)
        message = getattr(error, "user_message", None) or type(error).__name__
        SpendAccount.objects.filter(pk=account.pk).update(
            prices_tried_at=now, prices_error=str(message)[:300]
        )
        account.prices_tried_at, account.prices_error = now, str(message)[:300]
        return account
    data = pricing.to_json()
    SpendAccount.objects.filter(pk=account.pk).update(
        prices=data, prices_at=now, prices_tried_at=now, prices_error=""
    )
    account.prices, account.prices_at, account.prices_tried_at = data, now, now
    account.prices_error = ""
    return account


def prices_for(team: Team, *, fetch: bool = True) -> tuple[SpendAccount, PriceTable | None]:
    """The team's account and price table; a team that has none yet reads it now (at most once
    a minute), so the first estimate of a new team is real, not "unknown"."""
    account = account_for(team)
    if (
        fetch
        and not account.prices
        and (
            account.prices_tried_at is None
            or account.prices_tried_at < timezone.now() - RETRY_AFTER
        )
    ):
        account = refresh_prices(team, account)
    return account, table_of(account)


def estimate_generation(table: PriceTable | None, generation, usage: dict | None = None):
    request = Request(
        kind=generation.kind,
        model=generation.model,
        action=generation.action,
        prompt=_priced_prompt(generation),
        params=generation.params or {},
    )
    return estimate(table, request, group=group(), usage=usage)


def _priced_prompt(generation) -> str:
    """The prompt Zcheap prices an MJ job by: an action is sent with its parent's prompt (§0),
    so its speed flags are the parent's."""
    if (
        generation.kind == "mj"
        and generation.parent_id
        and generation.action
        not in (
            "imagine",
            "blend",
        )
    ):
        return generation.parent.prompt or ""
    return generation.prompt or ""
