from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):  # entries cannot be edited from the app
        # One exception: deleting a user sets their events' actor to NULL (on_delete=SET_NULL
        # runs through this method); actor_label keeps who it was.
        if kwargs == {"actor": None}:
            return super().update(**kwargs)
        raise TypeError("audit events are append-only")

    def delete(self):  # nor deleted (a team's deletion takes its log along, below the ORM)
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """One security- or money-relevant change in a team. Append-only."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="audit_events")
    # Who did it (null: the system, or a user since deleted: actor_label keeps the name).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    # What it was done to, in words a person reads ("alice@example.com", "Board 'Spring'").
    target = models.CharField(_("target"), max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["team", "-created_at", "-id"], name="audit_team_time"),
            # The person filter lists everyone with events (filters.people_in_log).
            models.Index(fields=["team", "actor_label"], name="audit_team_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.kind} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")


def record(
    team,
    actor,
    kind: str,
    target: str = "",
    *,
    before=None,
    after=None,
    request=None,
    actor_label: str = "",
):
    """Append one event. ACTOR may be None (the system; ACTOR_LABEL then says what, e.g. a
    management command). Never pass secrets in BEFORE/AFTER."""
    ip = None
    if request is not None:
        from accounts.adapter import client_ip

        ip = client_ip(request) or None
    label = actor_label
    if actor is not None:
        label = getattr(actor, "email", "") or str(actor)
    return AuditEvent.objects.create(
        team=team,
        actor=actor,
        actor_label=label,
        kind=kind,
        target=str(target)[:300],
        before=before,
        after=after,
        ip=ip,
    )
