"""Receivers: a finished task settles its ledger line; a new member gets the default budget."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def generation_settles(sender, generation, state, **kwargs) -> None:
    from .budget import settle

    try:
        settle(generation)
    except Exception:  # the ledger must never break a task's transition
        log.exception("settling the charge of generation %s failed", generation.pk)


def member_joins(sender, instance, created, **kwargs) -> None:
    """A new member's budget starts at the team's default for new members."""
    if not created:
        return
    from .models import Budget, SpendAccount

    default = (
        SpendAccount.objects.filter(team_id=instance.team_id)
        .values_list("member_default_micros", flat=True)
        .first()
    )
    Budget.objects.get_or_create(
        team_id=instance.team_id, user_id=instance.user_id, defaults={"limit_micros": default}
    )
