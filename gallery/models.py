"""Generations (one upstream task each), their results (gallery items), boards and favourites.

State rules live here (fat models): transitions are conditional UPDATEs that check exactly one
row changed, so a worker task delivered twice does no harm.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import Case, F, Q, When
from django.dispatch import Signal
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team

from . import choices


class Kind(models.TextChoices):
    IMAGE = "image", _("Image")
    MIDJOURNEY = "mj", _("Midjourney")
    VIDEO = "video", _("Video")


class State(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SUBMITTING = "submitting", _("Submitting")
    SUBMITTED = "submitted", _("Submitted")
    RUNNING = "running", _("Running")
    DOWNLOADING = "downloading", _("Downloading")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("Timed out")
    CANCELLED = "cancelled", _("Cancelled")
    NEEDS_REVIEW = "needs_review", _("Needs review")


TERMINAL_STATES = frozenset(
    {State.DONE, State.FAILED, State.TIMED_OUT, State.CANCELLED, State.NEEDS_REVIEW}
)
ACTIVE_STATES = frozenset(set(State) - TERMINAL_STATES)
# A row marked as having a task in the queue for this long lost that task (its enqueue failed,
# Redis was flushed): it may be enqueued again.
QUEUED_TASK_LOST_AFTER = timedelta(minutes=10)


def no_task_queued(now: datetime) -> Q:
    """Rows without a live task waiting for them in the queue (see Generation.task_queued_for)."""
    return Q(task_queued_for__isnull=True) | Q(task_queued_for__lt=now - QUEUED_TASK_LOST_AFTER)


# Sent once when a generation reaches a final state (the transition that got there); kwargs:
# generation, state. The spend app settles the task's charge or refund on it.
generation_finished = Signal()

# Stop waiting: not while a submit is in flight or a paid result is being saved.
CANCELLABLE_STATES = frozenset({State.QUEUED, State.SUBMITTED, State.RUNNING, State.TIMED_OUT})
# What a live card shows of a generation's own row (its results arrive with the move to DONE).
CARD_FIELDS = ("state", "progress", "error_message", "upstream_error")


class GenerationQuerySet(models.QuerySet["Generation"]):
    def for_team(self, team: Team) -> GenerationQuerySet:
        return self.filter(team=team)

    def active(self) -> GenerationQuerySet:
        return self.filter(state__in=ACTIVE_STATES)


# Generation.transition's plain UPDATE: column names come from the model's own fields.
MOVE = "UPDATE {table} SET {sets} WHERE id = %s AND state IN ({marks})"
CARD_VERSIONS = "SELECT id, card_version, state FROM {table} WHERE team_id = %s AND id IN ({marks})"


def update_returning_ids(template: str, before: list, ids: list[int], after: list) -> set[int]:
    """Run TEMPLATE, a plain-SQL `UPDATE {table} … WHERE id IN ({marks}) … RETURNING id` on
    Generation, with parameters BEFORE, the IDS, then AFTER (dates converted for the database);
    the ids it updated. The worker's claims and queue marks: one conditional UPDATE, so two
    callers racing for a row cannot both get it, and it says which rows this one got."""
    adapt = connection.ops.adapt_datetimefield_value

    def param(value):
        return adapt(value) if isinstance(value, datetime) else value

    sql = template.format(table=Generation._meta.db_table, marks=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*map(param, before), *ids, *map(param, after)])
        return {row[0] for row in cursor.fetchall()}


def card_versions(team_id: int, ids: list[int]) -> list[tuple[int, int, str]]:
    """(pk, card_version, state) of the team's tasks among IDS: what a card poll compares.

    Plain SQL on purpose: every open tab asks this every 2 s, and building the equivalent ORM
    query (`filter(team=…, pk__in=…).values_list(…)`) cost more CPU than running it. Filtered by
    team like every query (another team's ids simply do not come back).
    """
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))  # values are parameters; the table name is ours
    sql = CARD_VERSIONS.format(table=Generation._meta.db_table, marks=marks)
    with connection.cursor() as cursor:
        cursor.execute(sql, [team_id, *ids])
        return cursor.fetchall()


# MJ actions that work on one picture of their parent (its number is in the card title).
MJ_PICTURE_ACTIONS = frozenset(
    {
        "upscale",
        "variation",
        "low_variation",
        "high_variation",
        "zoom",
        "custom_zoom",
        "pan",
        "inpaint",
        "remix",
    }
)


class ActionCheck(models.TextChoices):
    """What the result of an MJ action showed about whether Zcheap applied it (issue 10 point 3).

    The stored gateway source drops the pan direction, zoom scale and remix mode and replaces a
    change prompt with the parent's (contract §0), so we look at what came back.
    """

    UNCHECKED = "", _("Not checked")
    APPLIED = "applied", _("Looks applied")
    PAN_IGNORED = "pan_ignored", _("Pan direction not applied")
    PROMPT_IGNORED = "prompt_ignored", _("New prompt not used")
    UPSCALE_GRID = "upscale_grid", _("Upscale came back as a grid")


class Generation(models.Model):
    """One request to Zcheap: an image, an MJ imagine/blend/action, or a video."""

    # Every index is written on every state change (the worker changes a row several times), so
    # none is kept that another covers: team_id leads gen_team_created, state leads
    # gen_state_due, and no query uses LIKE on a code (issue 18: 17 indexes -> 11).
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="generations", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="generations"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # For MJ: imagine, blend, upscale, variation, low_variation, high_variation, reroll, zoom,
    # custom_zoom, pan, inpaint, remix. For image and video: "generate".
    action = models.CharField(_("action"), max_length=20, default="generate")
    model = models.CharField(_("model"), max_length=60, blank=True)
    prompt = models.TextField(_("prompt"), blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # MJ actions: the MJ generation acted on, and which of its images (1-4).
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    parent_index = models.PositiveSmallIntegerField(null=True, blank=True)
    # Gallery items used as inputs (references, first frame, blend sources): lineage edges.
    source_items = models.ManyToManyField("MediaItem", blank=True, related_name="used_by")

    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    remote_id = models.CharField(max_length=100, blank=True)  # indexed: gen_remote_id
    remote_status = models.CharField(max_length=30, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)  # for people, translated when written
    upstream_error = models.TextField(blank=True)  # raw upstream text, behind a disclosure
    usage = models.JSONField(default=dict, blank=True)
    result_urls = models.JSONField(default=list, blank=True)
    # What Zcheap says the task cost (`amount_usd`, contract §0), when it says so.
    amount_usd = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    action_check = models.CharField(
        max_length=20, choices=ActionCheck.choices, blank=True, default=""
    )

    # Worker bookkeeping: our own lease, attempts, schedule and deadlines (the queue backend
    # neither retries nor recovers tasks from a killed worker).
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    late_until = models.DateTimeField(null=True, blank=True)
    # When the submit or ingest task now waiting in the queue for this row is due; cleared when
    # it starts. Enqueueing is a conditional UPDATE of this field, so the queue holds one task
    # per row and step however often the poll and reconcile loops see the row (tasks.py).
    task_queued_for = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped only when something a live card shows changes (CARD_FIELDS), so a poll that brings
    # nothing new re-sends no card; updated_at also moves for leases and schedules.
    card_version = models.PositiveIntegerField(default=0, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="gen_team_created"),
            models.Index(fields=["team", "user", "-created_at"], name="gen_team_user_created"),
            # "N of your tasks are still running" on the home page: counts only active rows.
            models.Index(fields=["team", "user", "state"], name="gen_team_user_state"),
            # Lineage: what was made from a result. Partial, because most rows have no parent
            # and SQLite's statistics cannot tell NULLs apart (it then scanned the table).
            models.Index(
                fields=["parent", "parent_index"],
                condition=models.Q(parent__isnull=False),
                name="gen_parent",
            ),
            models.Index(fields=["state", "next_poll_at"], name="gen_state_due"),
            models.Index(fields=["remote_id"], name="gen_remote_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_active(self) -> bool:
        return not self.is_terminal

    @property
    def elapsed_seconds(self) -> int:
        end = self.finished_at if self.is_terminal and self.finished_at else timezone.now()
        return max(0, int((end - self.created_at).total_seconds()))

    @property
    def tone(self) -> str:
        """Badge colour for the state."""
        if self.state == State.DONE:
            return "ok"
        if self.state in (State.FAILED, State.NEEDS_REVIEW):
            return "err"
        if self.state in (State.TIMED_OUT, State.CANCELLED):
            return "warn"
        return "info"

    @property
    def action_label(self) -> str:
        labels = {
            "imagine": _("Imagine"),
            "blend": _("Blend"),
            "upscale": _("Upscale"),
            "variation": _("Vary"),
            "low_variation": _("Vary (subtle)"),
            "high_variation": _("Vary (strong)"),
            "reroll": _("Reroll"),
            "zoom": _("Zoom out"),
            "custom_zoom": _("Custom zoom"),
            "pan": _("Pan"),
            "inpaint": _("Vary region"),
            "remix": _("Remix"),
        }
        label = str(labels.get(self.action, ""))
        params = self.params or {}
        if self.action in {"zoom", "custom_zoom"} and params.get("scale"):
            label = f"{label} {params['scale']}×"
        if self.action == "pan" and params.get("direction"):
            label = f"{label} {dict(choices.PAN_DIRECTIONS).get(params['direction'], '')}".strip()
        if self.parent_index and self.action in MJ_PICTURE_ACTIONS and self.from_grid:
            label = f"{label} #{self.parent_index}"
        return label

    @property
    def from_grid(self) -> bool:
        """Made from one picture of a four-image grid (so its title says which, #n)."""
        return bool(self.parent_id) and not self.parent.mj_single

    @property
    def source_item(self) -> MediaItem | None:
        """The picture this task was made from, if it is still in the gallery (prefetch-friendly)."""
        for item in self.source_items.all():
            if item.deleted_at is None:
                return item
        return None

    @property
    def can_take_mj_actions(self) -> bool:
        return self.kind == Kind.MIDJOURNEY and self.state == State.DONE and bool(self.remote_id)

    @property
    def results(self) -> list[MediaItem]:
        """The stored results in their upstream order (MJ image 1 to 4), prefetch-friendly."""
        return sorted(self.items.all(), key=lambda item: (item.index, item.pk))

    @property
    def error_display(self) -> str:
        """The error in the reader's language. The worker has no reader, so it stores the English
        text of our own messages; they are looked up in the catalogue when shown (Zcheap's own
        text, kept in upstream_error, stays as it came). A timed-out task whose late window has
        passed is no longer checked, so it no longer says it is."""
        if self.state == State.TIMED_OUT and self.late_until and self.late_until <= timezone.now():
            return gettext(
                "Zcheap did not deliver a result within 24 hours, so we stopped checking. "
                "Start it again if you still need it."
            )
        return gettext(self.error_message) if self.error_message else ""

    @property
    def upstream_error_note(self) -> str:
        """Zcheap's own text (kept as it came, often Chinese) explained in the reader's language,
        for the errors whose meaning we know."""
        notes = {
            "RateLimitedError": _(
                "Zcheap answered HTTP 429, too many requests: its servers for this model were "
                "at capacity."
            ),
            "TransientError": _("Zcheap could not be reached or answered with a temporary error."),
        }
        return str(notes.get(self.error_code, ""))

    @cached_property
    def mj_single(self) -> bool:
        """One picture (an upscale, or any result that did not give four): U/V need four."""
        if self.action == "upscale":
            return True
        if self.state == State.DONE:
            return len(self.items.all()) < 4  # uses a prefetch when there is one
        return False

    @property
    def mj_indexes(self) -> list[int]:
        """Which images of this result MJ actions can pick (1-4 for a grid, 1 for a single)."""
        return [1] if self.mj_single else [1, 2, 3, 4]

    @property
    def action_warning(self) -> str:
        """Plain words for the card when the result shows the action was not applied."""
        params = self.params or {}
        if self.action_check == ActionCheck.PAN_IGNORED:
            return gettext(
                "Zcheap did not extend the picture in the direction you chose (%(direction)s); "
                "it came back extended another way. Zcheap may not pass the pan direction on."
            ) % {"direction": dict(choices.PAN_DIRECTIONS).get(params.get("direction"), "?")}
        if self.action_check == ActionCheck.PROMPT_IGNORED:
            return gettext(
                "Zcheap reports it drew the original prompt, not your new one. The new prompt "
                "may not have been used."
            )
        if self.action_check == ActionCheck.UPSCALE_GRID:
            return gettext(
                "You asked for an upscale of one picture, but Zcheap returned a grid. The "
                "upscale may not have been applied."
            )
        return ""

    @property
    def can_stop_waiting(self) -> bool:
        """Cancellable now. Not while SUBMITTING: the request may already have reached Zcheap
        (and be billed) and its answer is what tells us the task's id, so dropping it then
        would lose a paid task silently. Not while DOWNLOADING: the result is paid and is
        being saved."""
        return self.state in CANCELLABLE_STATES

    @property
    def cannot_stop_reason(self) -> str:
        """Why Stop waiting is not offered (or did nothing), in the reader's language."""
        if self.state == State.SUBMITTING:
            return gettext(
                "This task is being sent to Zcheap right now and may already be charged, so it "
                "cannot be stopped yet. You can stop waiting once it shows Submitted."
            )
        if self.state == State.DOWNLOADING:
            return gettext("The result is ready and being saved; it will appear here shortly.")
        return gettext("This task has already finished, so there was nothing to stop.")

    @property
    def shows_large(self) -> bool:
        """An MJ upscale is one picture people want to look at: its card spans the list."""
        return self.action == "upscale" and self.state == State.DONE

    @property
    def may_have_been_charged(self) -> bool:
        """Zcheap may have this task (and charge for it) though we show no result: a submit
        whose answer we never got, or a task we stopped waiting for after it was sent. A failed
        task is refunded by Zcheap (contract §0), so it is not one of these."""
        if self.state == State.NEEDS_REVIEW:
            return True
        return self.state == State.CANCELLED and bool(self.remote_id or self.submitted_at)

    @property
    def can_retry(self) -> bool:
        return self.state in (State.FAILED, State.TIMED_OUT, State.CANCELLED, State.NEEDS_REVIEW)

    @property
    def model_label(self) -> str:
        return choices.model_name(self.model)

    @cached_property
    def origin(self) -> Generation:
        """The imagine or blend an MJ action chain started from (itself for anything else)."""
        node, hops = self, 0
        while node.parent_id and node.action not in {"imagine", "blend", "generate"} and hops < 50:
            node, hops = node.parent, hops + 1
        return node

    @property
    def settings_display(self) -> list[tuple[str, str]]:
        return choices.describe_params(self.params or {})

    @property
    def version(self) -> int:
        """What a live card last showed: the page sends it back and gets the card only if newer."""
        return self.card_version

    def transition(self, from_states, to_state: str, **fields) -> bool:
        """Move to TO_STATE only if the row is still in one of FROM_STATES; True if it moved.

        This is a single conditional UPDATE, so two workers racing on the same row cannot both
        win, and a duplicate delivery of the same step finds nothing to do.
        """
        if isinstance(from_states, str):
            from_states = [from_states]
        fields.setdefault("updated_at", timezone.now())
        if to_state in TERMINAL_STATES:
            fields.setdefault("finished_at", timezone.now())
        if to_state not in from_states and not any(
            hasattr(value, "resolve_expression") for value in fields.values()
        ):
            changed = self._move_plain(list(from_states), to_state, fields)
        else:
            changed = Generation.objects.filter(pk=self.pk, state__in=list(from_states)).update(
                state=to_state, card_version=self.card_version_after(to_state, fields), **fields
            )
        if changed == 1:
            self.state = to_state
            for name, value in fields.items():
                setattr(self, name, value)
            self.__dict__.pop("card_version", None)  # deferred: read again when asked for
            if to_state in TERMINAL_STATES:
                self._announce_finished(to_state)
                generation_finished.send(sender=Generation, generation=self, state=to_state)
        return changed == 1

    def _move_plain(self, from_states: list[str], to_state: str, fields: dict) -> int:
        """`transition`'s UPDATE in plain SQL, for a move to another state with plain values:
        the state a card shows changes, so its version moves, with no comparison to build.
        The worker makes dozens of these a second (a result found, stored, failed); building
        them with the ORM cost it ~4 ms of CPU each. Values go through each field's own
        conversion for the database (JSON, dates, decimals), as the ORM's would."""
        quote = connection.ops.quote_name
        sets, params = ["state = %s", "card_version = card_version + 1"], [to_state]
        for name, value in fields.items():
            field = Generation._meta.get_field(name)
            sets.append(f"{quote(field.column)} = %s")
            params.append(field.get_db_prep_save(value, connection))
        sql = MOVE.format(
            table=quote(Generation._meta.db_table),
            sets=", ".join(sets),
            marks=", ".join(["%s"] * len(from_states)),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, self.pk, *from_states])
            return cursor.rowcount

    def _announce_finished(self, state: str) -> None:
        """Tell notifications (in-app, e-mail, webhooks) once the move is committed; a listener
        that fails never fails the task (send_robust)."""
        from django.db import transaction

        from notifications import events

        def announce():
            events.task_finished.send_robust(sender=Generation, generation=self, state=state)

        transaction.on_commit(announce)

    @staticmethod
    def card_version_after(to_state: str, fields: dict) -> Case:
        """The card version as an SQL expression: one more only if a field the card shows changes.

        Compared in the same UPDATE (not against this instance, which may be stale), so a
        "still processing at 50 %" poll leaves the version and the browser gets no card.
        """
        shown = {"state": to_state, **{k: v for k, v in fields.items() if k in CARD_FIELDS}}
        return Case(When(Q(**shown), then=F("card_version")), default=F("card_version") + 1)


def media_upload_to(instance: MediaItem, filename: str) -> str:
    return f"teams/{instance.team_id}/media/{uuid.uuid4().hex}/{filename}"


def thumb_upload_to(instance: MediaItem, filename: str) -> str:
    return f"teams/{instance.team_id}/thumbs/{uuid.uuid4().hex}/{filename}"


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


class MediaItemQuerySet(models.QuerySet["MediaItem"]):
    def for_team(self, team: Team) -> MediaItemQuerySet:
        return self.filter(team=team)

    def visible(self) -> MediaItemQuerySet:
        return self.filter(deleted_at__isnull=True)


class MediaItem(models.Model):
    """One result file in our storage: a gallery item (an MJ grid gives four)."""

    # Deleted items wait this long in the trash (restorable by their owner or an admin), then
    # `manage.py purge_trash` removes them and their files.
    TRASH_DAYS = 30

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="media_items")
    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, related_name="items", null=True, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Denormalised from the generation so gallery filters need no join.
    kind = models.CharField(max_length=10, choices=Kind.choices)
    model = models.CharField(max_length=60, blank=True)
    prompt = models.TextField(blank=True)
    media_kind = models.CharField(max_length=10, choices=MediaKind.choices)
    index = models.PositiveSmallIntegerField(default=0)  # position in the result (MJ 0-3)
    source_url = models.TextField(blank=True)
    file = models.FileField(upload_to=media_upload_to, max_length=300)
    thumbnail = models.FileField(upload_to=thumb_upload_to, max_length=300, blank=True)
    thumbnail_small = models.FileField(upload_to=thumb_upload_to, max_length=300, blank=True)
    poster = models.FileField(upload_to=thumb_upload_to, max_length=300, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MediaItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Ingest is idempotent: one file per (generation, result position), ever.
            models.UniqueConstraint(fields=["generation", "index"], name="one_item_per_result")
        ]
        indexes = [
            models.Index(fields=["team", "deleted_at", "-created_at"], name="item_team_live"),
            # The grid's keyset pagination: newest first by id, live items only, no sort step.
            models.Index(
                fields=["team", "-id"],
                condition=models.Q(deleted_at__isnull=True),
                name="item_team_live_id",
            ),
            models.Index(fields=["team", "kind", "-created_at"], name="item_team_kind"),
            models.Index(fields=["team", "user", "-created_at"], name="item_team_user"),
            models.Index(fields=["team", "model", "-created_at"], name="item_team_model"),
        ]

    def __str__(self) -> str:
        return f"{self.get_media_kind_display()} #{self.pk}"

    @property
    def model_label(self) -> str:
        return choices.model_name(self.model)

    @property
    def media_version(self) -> str:
        """Names the content of this item's files in their URLs (`?v=`): a file never changes
        under a URL carrying it, so the browser may keep it for a year without asking again."""
        return (self.sha256 or "0")[:12]

    @property
    def deleted_just_now(self) -> bool:
        """Deleted less than a minute ago (the trash says "just now", not "0 minutes ago")."""
        return self.deleted_at is not None and timezone.now() - self.deleted_at < timedelta(
            minutes=1
        )

    @property
    def is_restorable(self) -> bool:
        """Deleted, but still in the trash (purge_trash removes it after TRASH_DAYS)."""
        if self.deleted_at is None:
            return False
        return self.deleted_at >= timezone.now() - timedelta(days=self.TRASH_DAYS)


def reference_upload_to(instance: ReferenceUpload, filename: str) -> str:
    return f"teams/{instance.team_id}/uploads/{uuid.uuid4().hex}/{filename}"


class ReferenceUpload(models.Model):
    """A file a user uploaded to send to Zcheap (reference image, frame, asset source)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="uploads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to=reference_upload_to, max_length=300)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    media_kind = models.CharField(max_length=10, default="image")
    size_bytes = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name or self.file.name


class BoardQuerySet(models.QuerySet["Board"]):
    def visible_to(self, team: Team, user) -> BoardQuerySet:
        """TEAM's boards USER may see: the shared ones and their own."""
        return self.filter(models.Q(shared=True) | models.Q(owner=user), team=team)


class Board(models.Model):
    """A named collection of gallery items; private to its creator or shared with the team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="boards")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="boards"
    )
    name = models.CharField(_("name"), max_length=100)
    shared = models.BooleanField(_("shared with the team"), default=False)
    # A smart board keeps a saved filter set (the gallery's query string) instead of items.
    query = models.CharField(_("saved search"), max_length=500, blank=True)
    items = models.ManyToManyField(MediaItem, through="BoardItem", related_name="boards")
    created_at = models.DateTimeField(default=timezone.now)

    objects = BoardQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_smart(self) -> bool:
        return bool(self.query)


class BoardItem(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE)
    item = models.ForeignKey(MediaItem, on_delete=models.CASCADE)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["board", "item"], name="board_item_once")]

    def __str__(self) -> str:
        return f"{self.item_id} in {self.board_id}"


class Favourite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    item = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="favourites")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "item"], name="favourite_once")]

    def __str__(self) -> str:
        return f"{self.item_id} by {self.user_id}"


class WorkerLoop(models.Model):
    """Keeps each self-rescheduling worker loop (polling, reconcile) single.

    A loop task carries the token it was enqueued with; a newer token makes it stop, and a loop
    whose run time is long past (its worker was killed) is restarted by `tasks.ensure_loop`.
    """

    name = models.CharField(max_length=40, primary_key=True)
    token = models.CharField(max_length=32, blank=True)
    run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.run_at}"


class TeamThrottle(models.Model):
    """What every worker process must agree on about one team (gallery/generation/fairness.py).

    - `backoff_until`: Zcheap answered 429 or sent `Retry-After` to this team's key, so no submit
      or poll goes out for this team before then; other teams are not slowed.
    - The row is also the lock that makes the per-team and per-member caps on requests in flight
      exact: a submit claim locks it (PostgreSQL; SQLite serialises writers anyway), counts, and
      claims.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, primary_key=True, related_name="+")
    backoff_until = models.DateTimeField(null=True, blank=True)
    # Consecutive rate limits without a Retry-After: the backoff doubles with each (capped).
    strikes = models.PositiveSmallIntegerField(default=0)
    limited_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"team {self.team_id} backoff until {self.backoff_until}"
