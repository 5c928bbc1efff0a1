"""Keep Team.listing_version current when boards change (the gallery's filter lists them)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Team

from .models import Board


@receiver([post_save, post_delete], sender=Board)
def board_changed(sender, instance: Board, **kwargs) -> None:
    Team.bump_listings([instance.team_id])
