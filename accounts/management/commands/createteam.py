"""createteam "NAME" --owner EMAIL --password PW [--api-key KEY] [--base-url URL] (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator, validate_email
from django.db import transaction

import audit
from accounts.models import Membership, Role, Team, User


class Command(BaseCommand):
    help = "Create (or update) a team and its owner for scripted setups. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owner", required=True, help="owner's e-mail")
        parser.add_argument("--password", required=True, help="owner's password")
        parser.add_argument("--api-key", default=None, help="Zcheap API key (omit: demo mode)")
        parser.add_argument("--base-url", default=None, help="Zcheap base URL")

    LABEL = "createteam"

    def _record(self, team, kind, target, **kwargs):
        audit.record(team, None, kind, target, actor_label=self.LABEL, **kwargs)

    def handle(self, *args, name, owner, password, api_key, base_url, **options):
        try:
            validate_email(owner)
            if base_url:
                URLValidator(schemes=["http", "https"])(base_url)
        except Exception as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        with transaction.atomic():
            user = User.objects.filter(email__iexact=owner).first()
            if user is None:
                user = User.objects.create_user(owner, password)
                self.stdout.write(f"created user {user.email}")
            elif not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(f"updated password of {user.email}")
            else:
                self.stdout.write(f"user {user.email} exists")
            team = Team.objects.filter(name=name).order_by("pk").first()
            if team is None:
                team = Team.objects.create(name=name)
                self._record(team, "team.created", team.name, after={"name": team.name})
                self.stdout.write(f"created team {team.name!r}")
            else:
                self.stdout.write(f"team {team.name!r} exists")
            fields = []
            old_key, old_url = team.api_key, team.base_url
            if api_key is not None and api_key != team.api_key:
                team.set_api_key(api_key)
                fields.append("api_key_encrypted")
                self.stdout.write("set API key" if api_key else "removed API key (demo mode)")
            if base_url is not None and base_url != team.base_url:
                team.base_url = base_url.rstrip("/")
                fields.append("base_url")
                self.stdout.write(f"set base URL {team.base_url}")
            if fields:
                team.save(update_fields=fields)
                team.record_connection_change(None, old_key, old_url, actor_label=self.LABEL)
            membership, created = Membership.objects.get_or_create(
                team=team, user=user, defaults={"role": Role.OWNER}
            )
            if created:
                self._record(team, "member.added", user.email, after={"role": Role.OWNER})
                self.stdout.write(f"made {user.email} owner of {team.name!r}")
            elif membership.role != Role.OWNER:
                self._record(
                    team,
                    "role.changed",
                    user.email,
                    before={"role": membership.role},
                    after={"role": Role.OWNER},
                )
                membership.role = Role.OWNER
                membership.save(update_fields=["role"])
                self.stdout.write(f"promoted {user.email} to owner")
        mode = "demo mode (simulator)" if team.demo_mode else f"live ({team.effective_base_url})"
        self.stdout.write(self.style.SUCCESS(f"team {team.name!r} ready, {mode}"))
