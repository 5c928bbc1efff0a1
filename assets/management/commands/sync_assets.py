"""sync_assets [--team NAME]: reconcile every team's asset mirror with Zcheap (run from cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.models import Team
from assets import sync
from zcheap.errors import ZcheapError


class Command(BaseCommand):
    help = "Sync the asset library mirror of every team (or one) with Zcheap."

    def add_arguments(self, parser):
        parser.add_argument("--team", default="", help="only this team (name)")

    def handle(self, *args, team, **options):
        teams = Team.objects.filter(name=team) if team else Team.objects.all()
        for item in teams:
            try:
                report = sync.sync_team(item)
            except ZcheapError as error:
                self.stderr.write(f"{item.name}: {error.user_message} {error.upstream_message}")
                continue
            self.stdout.write(f"{item.name}: {report}")
