"""In-app notifications, each person's notification choices, and team webhooks with their
delivery log.

A notification stores what happened (KIND and a little data), not a sentence: it is worded in
the reader's language when shown. Webhook URLs and secrets are encrypted at rest (a Slack,
WeCom or DingTalk URL is itself a secret) and shown back only masked.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import crypto


class Notification(models.Model):
    class Kind(models.TextChoices):
        TASK_DONE = "task_done", _("Task done")
        TASK_FAILED = "task_failed", _("Task failed")
        BATCH_DONE = "batch_done", _("Batch done")
        REVIEW = "review", _("Review feedback")
        BUDGET = "budget", _("Budget warning")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The bell: a person's unread count, one small index range.
            models.Index(
                fields=["user"], condition=models.Q(read_at__isnull=True), name="notif_unread"
            ),
            models.Index(fields=["user", "-created_at"], name="notif_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

    @property
    def text(self) -> str:
        """What happened, in the reader's language."""
        from .messages import describe

        return describe(self.kind, self.data)

    @property
    def tone(self) -> str:
        if self.kind in (self.Kind.TASK_FAILED, self.Kind.BUDGET):
            return "err" if self.kind == self.Kind.TASK_FAILED else "warn"
        return "ok" if self.kind != self.Kind.REVIEW else "info"


def sync_unread(team_id: int, user_ids) -> None:
    """Set the bell's counters (Membership.unread_notifications) of USER_IDS in the team to
    their true unread count, in one UPDATE with a subquery: exact however many notifications
    arrive or are read at the same time, and it heals any earlier drift."""
    from accounts.models import Membership

    unread = (
        Notification.objects.filter(
            team_id=team_id, user_id=models.OuterRef("user_id"), read_at__isnull=True
        )
        .order_by()
        .values("user_id")
        .annotate(n=models.Count("pk"))
        .values("n")
    )
    Membership.objects.filter(team_id=team_id, user_id__in=list(user_ids)).update(
        unread_notifications=Coalesce(models.Subquery(unread), 0)
    )


def notify(user_ids, team_id: int, kind: str, data: dict, url: str = "") -> None:
    """Tell USER_IDS (in-app) about an event in the team; their bells count it at once."""
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        return
    with transaction.atomic():
        Notification.objects.bulk_create(
            Notification(user_id=pk, team_id=team_id, kind=kind, data=data, url=url)
            for pk in user_ids
        )
        sync_unread(team_id, user_ids)


class NotificationSettings(models.Model):
    """One person's choices (the same in every team)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_long_tasks = models.BooleanField(
        _("E-mail me when my long tasks (videos, batches) finish or fail"), default=False
    )
    daily_digest = models.BooleanField(
        _("E-mail me a daily digest of my failed tasks"), default=False
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"

    @classmethod
    def of(cls, user) -> NotificationSettings:
        found = cls.objects.filter(user=user).first()
        return found or cls(user=user)

    def claim_digest(self, now, every: timedelta) -> bool:
        """Take today's digest for this person: one conditional UPDATE, so two digest runs at
        once (cron on two machines) send it once."""
        since = now - every
        changed = (
            NotificationSettings.objects.filter(pk=self.pk)
            .filter(models.Q(last_digest_at__isnull=True) | models.Q(last_digest_at__lte=since))
            .update(last_digest_at=now)
        )
        return changed == 1


class WebhookFormat(models.TextChoices):
    GENERIC = "generic", _("Generic JSON (HMAC-SHA256 signed)")
    FEISHU = "feishu", _("Feishu / Lark bot")
    DINGTALK = "dingtalk", _("DingTalk bot")
    WECOM = "wecom", _("WeCom (WeChat Work) bot")
    SLACK = "slack", _("Slack incoming webhook")


EVENTS = {
    "task.done": _("Task done"),
    "task.failed": _("Task failed"),
    "batch.done": _("Batch done"),
    "review.feedback": _("Review feedback"),
    "budget.threshold": _("Budget threshold reached"),
}


class Webhook(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(_("name"), max_length=80)
    format = models.CharField(
        _("format"), max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.GENERIC
    )
    url_encrypted = models.TextField(editable=False)
    secret_encrypted = models.TextField(blank=True, editable=False)
    events = models.JSONField(default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Messages are worded in the language of the admin who set the hook up.
    language = models.CharField(max_length=10, default="en")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return crypto.decrypt(self.url_encrypted)

    def set_url(self, url: str) -> None:
        self.url_encrypted = crypto.encrypt(url.strip())

    @property
    def url_masked(self) -> str:
        """Scheme and host only: the path often carries the chat service's token."""
        parts = urlsplit(self.url)
        if not parts.hostname:
            return "…"
        return f"{parts.scheme}://{parts.netloc}/…"

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted)

    def set_secret(self, secret: str) -> None:
        self.secret_encrypted = crypto.encrypt(secret.strip())

    @property
    def secret_masked(self) -> str:
        secret = self.secret
        return f"…{secret[-4:]}" if len(secret) > 8 else ("…" if secret else "")

    @property
    def event_labels(self) -> list[str]:
        return [str(EVENTS[e]) for e in self.events if e in EVENTS]


MAX_ATTEMPTS = 5
# Seconds before attempt 2, 3, 4, 5.
BACKOFF = [30, 120, 600, 3600]


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        RETRYING = "retrying", _("Will retry")
        OK = "ok", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=30)
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="delivery_hook_time"),
            # What the reconcile loop looks at every turn (delivery.requeue_stale): the few
            # deliveries not yet delivered or failed, never the whole log.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="delivery_open",
                condition=models.Q(status__in=["pending", "sending", "retrying"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"

    @property
    def tone(self) -> str:
        return {"ok": "ok", "failed": "err", "retrying": "warn"}.get(self.status, "info")

    @property
    def event_label(self) -> str:
        if self.event == "test":
            return gettext("Test")
        return str(EVENTS.get(self.event, self.event))

    def claim(self) -> bool:
        """Start an attempt: one conditional UPDATE, so a task delivered twice sends once."""
        now = timezone.now()
        changed = WebhookDelivery.objects.filter(
            pk=self.pk, status__in=[self.Status.PENDING, self.Status.RETRYING]
        ).update(status=self.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
        if changed:
            self.refresh_from_db(fields=["status", "attempts", "last_attempt_at"])
        return changed == 1
