from __future__ import annotations

from django.core.management.base import BaseCommand

from notifications.delivery import requeue_stale


class Command(BaseCommand):
    help = "Queue again webhook deliveries a lost task or a killed worker left behind."

    def handle(self, *args, **options):
        self.stdout.write(f"{requeue_stale()} webhook deliveries queued again")
