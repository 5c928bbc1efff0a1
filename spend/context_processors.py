"""The balance in the header and the low-balance banner, for owners and admins only.

Lazy and cached: the spend row is read only when a page shows it (admins' pages) and then kept
in each process's own memory (the `listings` cache alias) under a key that carries the team's
`spend_version`. The team row is read on every request anyway, and `forget` bumps that version
whenever the balance or its threshold changes, so every process shows the change on its next
page, and a hit costs no query (the shared `default` cache is a table in production: one query
per page).
"""

from __future__ import annotations

from django.core.cache import caches
from django.db.models import F
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

CACHE_SECONDS = 900


def _cache():
    return caches["listings"]


def _key(team) -> str:
    return f"spend:account:{team.pk}:{team.created_at.timestamp()}:{team.spend_version}"


def forget(team_id: int) -> None:
    """The team's balance or threshold changed: the next page (in any process) reads them."""
    from accounts.models import Team

    Team.objects.filter(pk=team_id).update(spend_version=F("spend_version") + 1)


def spend(request: HttpRequest) -> dict:
    team = getattr(request, "team", None)
    membership = getattr(request, "membership", None)
    if team is None or membership is None or not membership.can_manage:
        return {"spend_account": None}

    def load():
        from .models import SpendAccount

        key = _key(team)
        found = _cache().get(key)
        if found is None:
            found = SpendAccount.objects.filter(team=team).first() or False
            _cache().set(key, found, CACHE_SECONDS)
        return found or None

    return {"spend_account": SimpleLazyObject(load)}
