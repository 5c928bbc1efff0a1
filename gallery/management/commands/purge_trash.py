"""purge_trash: remove gallery items deleted more than MediaItem.TRASH_DAYS ago, files included.

Run it daily (cron, or a scheduler next to run_worker). Until then a deleted item can be restored
from the trash page by its owner or an admin. Each team's audit log records what was purged, in
the transaction that removes the rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import Team
from gallery.models import MediaItem

FILE_FIELDS = ("file", "thumbnail", "thumbnail_small", "poster")
BATCH = 500


class Command(BaseCommand):
    help = "Remove gallery items that have been in the trash for more than 30 days."

    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(days=MediaItem.TRASH_DAYS)
        purged = 0
        while True:
            # The rows go first: a file left behind by a crash is harmless, a row whose file is
            # gone would be a broken picture. Locked, so a restore at this moment waits for us
            # (and then finds nothing) or goes first (and we skip the item).
            with transaction.atomic():
                batch = list(
                    MediaItem.objects.select_for_update()
                    .filter(deleted_at__lt=cutoff)
                    .order_by("team_id", "pk")[:BATCH]
                )
                if not batch:
                    break
                by_team = defaultdict(list)
                for item in batch:
                    by_team[item.team_id].append(item.pk)
                MediaItem.objects.filter(pk__in=[i.pk for i in batch]).delete()
                teams = Team.objects.in_bulk(list(by_team))
                for team_id, ids in by_team.items():
                    audit.record(
                        teams[team_id],
                        None,
                        "gallery.purged",
                        ", ".join(f"#{pk}" for pk in ids),
                        after={"count": len(ids), "items": ids, "days": MediaItem.TRASH_DAYS},
                        actor_label="purge_trash",
                    )
            purged += len(batch)
            for item in batch:
                for name in FILE_FIELDS:
                    field = getattr(item, name)
                    if field:
                        field.storage.delete(field.name)
        self.stdout.write(f"purged {purged} item(s) deleted before {cutoff:%Y-%m-%d %H:%M}")
