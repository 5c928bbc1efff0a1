"""The balance in the header and the low-balance banner, for owners and admins only.

Lazy and cached: the spend row is read only when a page shows it (admins' pages) and then kept
in the shared cache until the balance or its threshold changes (`forget`), so pages cost no
query for it.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

CACHE_SECONDS = 900


def _key(team_id: int) -> str:
    return f"spend:account:{team_id}"


def forget(team_id: int) -> None:
    """The team's balance or threshold changed: the next page reads them again."""
    cache.delete(_key(team_id))


def spend(request: HttpRequest) -> dict:
    team = getattr(request, "team", None)
    membership = getattr(request, "membership", None)
    if team is None or membership is None or not membership.can_manage:
        return {"spend_account": None}

    def load():
        from .models import SpendAccount

        found = cache.get(_key(team.pk))
        if found is None:
            found = SpendAccount.objects.filter(team=team).first() or False
            cache.set(_key(team.pk), found, CACHE_SECONDS)
        return found or None

    return {"spend_account": SimpleLazyObject(load)}
