from __future__ import annotations

import pytest

from accounts.models import Team
from spend.models import Budget, SpendAccount

IMAGE = {
    "model": "gemini-3-pro-image-preview",
    "prompt": "a red fox",
    "aspect_ratio": "1:1",
    "size": "1K",
    "count": "1",
}
PRO_MICROS = 134_000  # the simulator's price of one Gemini 3 Pro image


def set_budget(team: Team, user=None, usd: float | None = None, topup: float = 0) -> Budget:
    row, _ = Budget.objects.get_or_create(team=team, user=user)
    row.limit_micros = None if usd is None else round(usd * 1_000_000)
    row.topup_micros = round(topup * 1_000_000)
    row.save()
    return row


def spent(team: Team, user=None) -> int:
    row = Budget.objects.filter(team=team, user=user).first()
    return row.spent_this_month if row else 0


@pytest.fixture
def account(team_a) -> SpendAccount:
    account, _ = SpendAccount.objects.get_or_create(team=team_a)
    return account
