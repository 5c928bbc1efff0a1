"""purge_trash: remove gallery items deleted more than MediaItem.TRASH_DAYS ago, files included.

Run it daily (cron, or a scheduler next to run_worker). Until then a deleted item can be restored
from the trash page by its owner or an admin.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from gallery.models import MediaItem

FILE_FIELDS = ("file", "thumbnail", "thumbnail_small", "poster")


class Command(BaseCommand):
    help = "Remove gallery items that have been in the trash for more than 30 days."

    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(days=MediaItem.TRASH_DAYS)
        purged = 0
        for item in MediaItem.objects.filter(deleted_at__lt=cutoff).iterator():
            # The row goes first: a file left behind by a crash is harmless, a row whose file is
            # gone would be a broken picture.
            files = [getattr(item, name) for name in FILE_FIELDS if getattr(item, name)]
            if MediaItem.objects.filter(pk=item.pk, deleted_at__lt=cutoff).delete()[0]:
                purged += 1
                for field in files:
                    field.storage.delete(field.name)
        self.stdout.write(f"purged {purged} item(s) deleted before {cutoff:%Y-%m-%d %H:%M}")
