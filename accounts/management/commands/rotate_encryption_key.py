"""Re-encrypt every stored secret under the current FIELD_ENCRYPTION_KEY.

Run after moving the previous key into FIELD_ENCRYPTION_OLD_KEYS (or SECRET_KEY_FALLBACKS when
the field key follows SECRET_KEY); afterwards the old key can be dropped. Idempotent; secrets no
configured key can read are reported and left as they are, never blanked.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

import audit
from accounts import crypto
from accounts.models import Team


class Command(BaseCommand):
    help = "Re-encrypt the teams' stored API keys with the current FIELD_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        rotated = unreadable = 0
        with transaction.atomic():
            for team in Team.objects.select_for_update().exclude(api_key_encrypted=""):
                token = team.api_key_encrypted
                if not crypto.decrypt(token):
                    unreadable += 1
                    self.stderr.write(f"team {team.pk} ({team.name}): no configured key reads it")
                elif crypto.needs_rotation(token):
                    Team.objects.filter(pk=team.pk).update(api_key_encrypted=crypto.rotate(token))
                    # The same key under the new encryption key: its mask says which one.
                    audit.record(
                        team,
                        None,
                        "api_key.rotated",
                        team.name,
                        after={"key": crypto.mask(crypto.decrypt(token))},
                        actor_label="rotate_encryption_key",
                    )
                    rotated += 1
        self.stdout.write(f"re-encrypted {rotated} API key(s); {unreadable} unreadable")
        if unreadable:
            raise CommandError("some API keys could not be read with any configured key")
