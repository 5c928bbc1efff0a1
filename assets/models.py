"""A per-team mirror of the provider's asset library (groups and assets, reviewed to Active).

Upstream ids, fields and status are kept as they are; `gone_at` marks things deleted elsewhere,
so nothing local is ever lost by a sync.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team


class AssetGroup(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="asset_groups")
    remote_id = models.CharField(max_length=80)
    name = models.CharField(_("name"), max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    group_type = models.CharField(max_length=30, default="AIGC")
    project_name = models.CharField(max_length=60, default="default")
    model = models.CharField(max_length=40, default="ima-pro-upload")
    remote_created = models.CharField(max_length=40, blank=True)
    remote_updated = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(null=True, blank=True)
    gone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "remote_id"], name="asset_group_once")
        ]

    def __str__(self) -> str:
        return self.name


class AssetStatus(models.TextChoices):
    PROCESSING = "Processing", _("Processing")
    ACTIVE = "Active", _("Active")
    FAILED = "Failed", _("Failed")


class Asset(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assets")
    group = models.ForeignKey(AssetGroup, on_delete=models.CASCADE, related_name="assets")
    remote_id = models.CharField(max_length=80)
    name = models.CharField(_("name"), max_length=200, blank=True)
    url = models.TextField(blank=True)
    asset_type = models.CharField(max_length=10, default="Image")
    status = models.CharField(
        max_length=12, choices=AssetStatus.choices, default=AssetStatus.PROCESSING
    )
    error_code = models.CharField(max_length=80, blank=True)
    error_message = models.TextField(blank=True)
    # What we sent, when we sent it: the upload or gallery item (for thumbnails).
    upload = models.ForeignKey(
        "gallery.ReferenceUpload", on_delete=models.SET_NULL, null=True, blank=True
    )
    item = models.ForeignKey("gallery.MediaItem", on_delete=models.SET_NULL, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    remote_created = models.CharField(max_length=40, blank=True)
    remote_updated = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    gone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["team", "remote_id"], name="asset_once")]
        indexes = [models.Index(fields=["team", "status"], name="asset_team_status")]

    def __str__(self) -> str:
        return self.name or self.remote_id

    @property
    def reference(self) -> str:
        """How video tasks name this asset."""
        return f"asset://{self.remote_id}"

    @property
    def thumbnail_url(self) -> str:
        """A picture of the asset: its gallery item, or a signed link to the uploaded image."""
        from django.urls import reverse

        from gallery.generation import public_url

        if self.item_id:
            return reverse("gallery:media_variant", args=[self.item_id, "small"])
        if self.upload_id and self.upload.media_kind == "image":
            return public_url(self.upload, ttl=3600)
        return ""

    @property
    def type_label(self) -> str:
        labels = {"Image": _("Image"), "Video": _("Video"), "Audio": _("Audio")}
        return str(labels.get(self.asset_type, self.asset_type))

    @property
    def tone(self) -> str:
        return {"Active": "ok", "Failed": "err"}.get(self.status, "warn")


class QuotaReservation(models.Model):
    """Asset slots promised to an upload in progress, so parallel uploads cannot all pass the
    quota check against the same free slots. Taken under a lock on the team row (one check at
    a time per team), shrunk as each asset is created upstream (Zcheap then counts it itself),
    deleted when the request ends; one left behind by a killed process expires."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="quota_reservations")
    slots = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["team", "created_at"], name="quota_reservation_team")]

    def __str__(self) -> str:
        return f"{self.slots} slots for team {self.team_id}"
