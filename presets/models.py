"""Presets (a create form's settings and a prompt template) and batches (many tasks at once).

A preset is copied into the form when picked: tasks keep their own settings, so editing or
deleting a preset never changes a task already made. A batch links the tasks it created; it is
finished once every task is final, and that is noticed exactly once (one conditional UPDATE).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from gallery.models import ACTIVE_STATES, Board, Generation, Kind, State

# {name}: letters, digits and _ (any script, so {产品} works). {{ and }} are literal braces.
PLACEHOLDER = re.compile(r"\{(\w+)\}")
FAILED_STATES = frozenset({State.FAILED, State.TIMED_OUT, State.NEEDS_REVIEW})


def placeholders_of(template: str) -> list[str]:
    """The placeholder names in TEMPLATE, in order, each once."""
    text = template.replace("{{", "").replace("}}", "")
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def template_problems(template: str) -> list[str]:
    """Braces that are not a {placeholder}: '{}' , '{two words}', a lone '{' or '}'."""
    text = template.replace("{{", "").replace("}}", "")
    rest = PLACEHOLDER.sub("", text)
    problems = []
    for bad in re.findall(r"\{[^{}]*\}", rest):
        problems.append(bad)
    rest = re.sub(r"\{[^{}]*\}", "", rest)
    if "{" in rest or "}" in rest:
        problems.append("{" if "{" in rest else "}")
    return problems


def fill_template(template: str, values: dict[str, str]) -> str:
    """TEMPLATE with each {name} replaced by VALUES[name] ({{ and }} become { and })."""
    out = PLACEHOLDER.sub(
        lambda m: values.get(m.group(1), m.group(0)),
        template.replace("{{", "\0").replace("}}", "\1"),
    )
    return out.replace("\0", "{").replace("\1", "}")


class PresetQuerySet(models.QuerySet["Preset"]):
    def visible_to(self, team: Team, user) -> PresetQuerySet:
        """TEAM's presets USER may use: the shared ones (pinned first) and their own."""
        return self.filter(Q(shared=True) | Q(owner=user), team=team).order_by(
            "-pinned", "name", "pk"
        )


class Preset(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="presets")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presets"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    model = models.CharField(_("model"), max_length=60, blank=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    prompt_template = models.TextField(_("prompt template"), blank=True, max_length=4000)
    shared = models.BooleanField(_("shared with the team"), default=False)
    # Admins pin shared presets so they come first in every list.
    pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PresetQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "owner", "name"],
                condition=Q(shared=False),
                name="preset_private_name_once",
            ),
            models.UniqueConstraint(
                fields=["team", "name"], condition=Q(shared=True), name="preset_shared_name_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def placeholders(self) -> list[str]:
        return placeholders_of(self.prompt_template)

    def may_edit(self, membership) -> bool:
        """Its owner, or an admin for a shared preset."""
        return self.owner_id == membership.user_id or (self.shared and membership.can_manage)


class Batch(models.Model):
    """Tasks made together from one list or CSV; their results are collected in a board."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="batches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="batches"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    board = models.ForeignKey(
        Board, on_delete=models.SET_NULL, null=True, blank=True, related_name="batches"
    )
    generations = models.ManyToManyField(Generation, through="BatchTask", related_name="batches")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set once, when every task is final (batch_finished is sent then); a retry clears it.
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "-created_at"], name="batch_team_created")]

    def __str__(self) -> str:
        return self.name

    def tasks(self):
        return Generation.objects.filter(batch_links__batch=self)

    def progress(self) -> dict[str, int]:
        """Counts by what a person cares about: done, failed, running, cancelled, total."""
        counts = dict(
            self.tasks().values_list("state").annotate(n=Count("pk")).values_list("state", "n")
        )
        done = counts.get(State.DONE, 0)
        failed = sum(counts.get(s, 0) for s in FAILED_STATES)
        cancelled = counts.get(State.CANCELLED, 0)
        running = sum(counts.get(s, 0) for s in ACTIVE_STATES)
        total = done + failed + cancelled + running
        percent = round(100 * (total - running) / total) if total else 100
        return {
            "done": done,
            "failed": failed,
            "cancelled": cancelled,
            "running": running,
            "total": total,
            "finished": total - running,
            "percent": percent,
        }

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    def check_finished(self) -> bool:
        """Mark the batch finished if every task is final; True for the one caller that did it
        (and that caller sends batch_finished). A single conditional UPDATE, so two workers
        finishing the last two tasks at once announce the batch once."""
        from notifications.events import batch_finished

        still_running = Generation.objects.filter(
            batch_links__batch=OuterRef("pk"), state__in=list(ACTIVE_STATES)
        )
        now = timezone.now()
        changed = (
            Batch.objects.filter(pk=self.pk, finished_at__isnull=True)
            .exclude(Exists(still_running))
            .update(finished_at=now)
        )
        if changed != 1:
            return False
        self.finished_at = now
        counts = self.progress()
        self.total, self.failed = counts["total"], counts["failed"]
        batch_finished.send_robust(
            sender=Batch,
            batch=self,
            team=self.team,
            user=self.user,
            total=self.total,
            failed=self.failed,
            path=reverse("presets:batch", args=[self.pk]),
        )
        return True


class BatchTask(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="links")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="batch_links")
    # The line or CSV row the task came from (for people: "row 7").
    row = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "generation"], name="batch_task_once")
        ]
        indexes = [models.Index(fields=["generation"], name="batch_task_generation")]

    def __str__(self) -> str:
        return f"{self.generation_id} in batch {self.batch_id}"
