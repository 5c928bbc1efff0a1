"""Keep Team.listing_version current when members or their names change."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Membership, Team, User

# Saves that cannot change a name shown in a list (logging in stamps last_login).
_SILENT_FIELDS = {"last_login", "password"}


@receiver([post_save, post_delete], sender=Membership)
def membership_changed(sender, instance: Membership, **kwargs) -> None:
    Team.bump_listings([instance.team_id])


@receiver(post_save, sender=User)
def user_changed(sender, instance: User, update_fields=None, created=False, **kwargs) -> None:
    if created or (update_fields and set(update_fields) <= _SILENT_FIELDS):
        return
    Team.bump_listings(instance.memberships.values_list("team_id", flat=True))
