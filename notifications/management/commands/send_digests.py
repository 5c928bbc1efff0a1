from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications.digest import send_daily_digests


class Command(BaseCommand):
    help = "E-mail each person who asked for it a digest of their failed tasks (run daily)."

    def handle(self, *args, **options):
        sent = send_daily_digests()
        self.stdout.write(f"{sent} digest e-mail(s) sent")
