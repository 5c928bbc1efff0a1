"""Review links for people outside the team, and the verdicts reviewers leave on them.

A link is an unguessable token; it shows the items it was made with (a board's items at that
moment, or one item) and nothing else of the team. It expires, can be revoked, and may carry a
password (hashed; guesses are counted with one conditional UPDATE per guess).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 14
MAX_DAYS = 90
# Password guesses a link accepts per window, from everyone together (a per-address limit
# would let many addresses guess in parallel).
GUESS_LIMIT = 10
GUESS_WINDOW = timedelta(minutes=15)


def _token() -> str:
    return secrets.token_urlsafe(24)


class ReviewLinkQuerySet(models.QuerySet["ReviewLink"]):
    def usable(self) -> ReviewLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def visible_to(self, team, user) -> ReviewLinkQuerySet:
        """TEAM's links USER may see: those on items and shared boards, and on their own boards."""
        return self.filter(
            Q(board__isnull=True) | Q(board__shared=True) | Q(board__owner=user), team=team
        )


class ReviewLink(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="review_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    title = models.CharField(_("title"), max_length=120, blank=True)
    board = models.ForeignKey(
        "gallery.Board",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="review_links",
    )
    items = models.ManyToManyField("gallery.MediaItem", through="ReviewLinkItem", related_name="+")
    show_prompts = models.BooleanField(_("show prompts"), default=False)
    password_hash = models.CharField(max_length=200, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    guesses = models.PositiveIntegerField(default=0, editable=False)
    guess_window_start = models.DateTimeField(default=timezone.now, editable=False)

    objects = ReviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title or f"Review link #{self.pk}"

    @classmethod
    def default_expiry(cls, days: int = DEFAULT_DAYS):
        return timezone.now() + timedelta(days=days)

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def status_label(self) -> str:
        if self.revoked_at:
            return str(_("revoked"))
        if self.is_expired:
            return str(_("expired"))
        return str(_("open"))

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def set_password(self, raw: str) -> None:
        self.password_hash = make_password(raw) if raw else ""

    def password_fingerprint(self) -> str:
        """Kept in the reviewer's session once they typed the password: a new password (or
        none) makes it stale, so the session no longer opens the link."""
        return self.password_hash[-16:]

    def take_guess(self) -> bool:
        """Claim one password guess; False once GUESS_LIMIT guesses were made in the window.

        One conditional UPDATE: of any number of parallel guesses, at most GUESS_LIMIT pass.
        """
        now = timezone.now()
        ReviewLink.objects.filter(pk=self.pk, guess_window_start__lt=now - GUESS_WINDOW).update(
            guess_window_start=now, guesses=0
        )
        return (
            ReviewLink.objects.filter(pk=self.pk, guesses__lt=GUESS_LIMIT).update(
                guesses=F("guesses") + 1
            )
            == 1
        )

    def check_password(self, raw: str) -> bool:
        return bool(self.password_hash) and check_password(raw, self.password_hash)

    def revoke(self) -> bool:
        """Revoke once (a second revoke changes nothing); True if this call revoked it."""
        now = timezone.now()
        changed = ReviewLink.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if changed:
            self.revoked_at = now
        return changed == 1

    def live_items(self):
        """The link's items still in the gallery, in the order they were added."""
        from gallery.models import MediaItem

        return MediaItem.objects.filter(
            team_id=self.team_id,
            deleted_at__isnull=True,
            reviewlinkitem__link=self,
        ).order_by("reviewlinkitem__position", "pk")


class ReviewLinkItem(models.Model):
    link = models.ForeignKey(ReviewLink, on_delete=models.CASCADE)
    item = models.ForeignKey("gallery.MediaItem", on_delete=models.CASCADE)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "item"], name="review_item_once")]

    def __str__(self) -> str:
        return f"{self.item_id} on {self.link_id}"


class Verdict(models.TextChoices):
    APPROVE = "approve", _("Approved")
    CHANGES = "changes", _("Changes requested")


class ReviewVerdict(models.Model):
    """What one reviewer (by the name they gave) said about one item of a link; their latest
    word replaces the earlier one."""

    link = models.ForeignKey(ReviewLink, on_delete=models.CASCADE, related_name="verdicts")
    item = models.ForeignKey(
        "gallery.MediaItem", on_delete=models.CASCADE, related_name="review_verdicts"
    )
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    reviewer_name = models.CharField(_("your name"), max_length=80)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["link", "item", "reviewer_name"], name="one_verdict_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_name}: {self.verdict} on {self.item_id}"

    @property
    def tone(self) -> str:
        return "ok" if self.verdict == Verdict.APPROVE else "warn"
