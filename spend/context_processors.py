"""The balance in the header and the low-balance banner, for owners and admins only.

Lazy: the spend row is read only when a page shows it (admins' pages), never for members.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def spend(request: HttpRequest) -> dict:
    team = getattr(request, "team", None)
    membership = getattr(request, "membership", None)
    if team is None or membership is None or not membership.can_manage:
        return {"spend_account": None}

    def load():
        from .models import SpendAccount

        return SpendAccount.objects.filter(team=team).first()

    return {"spend_account": SimpleLazyObject(load)}
