from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import NoColonForm
from gallery.generation import ALLOWED_FORMATS, MultipleImageField, check_image, sniff
from gallery.models import ReferenceUpload

AUDIO_SIGNATURES = [
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
]


class GroupForm(NoColonForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RenameForm(NoColonForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)


class AssetField(MultipleImageField):
    """Several files at once: images, videos (MP4/WebM) or audio (MP3/OGG/WAV)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs["accept"] = "image/*,video/mp4,video/webm,audio/*"


def check_media(upload) -> tuple[bytes, str, str]:
    """(data, content type, media kind) for an accepted file, else a ValidationError."""
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind and kind[0].startswith("image/"):
        data, image = check_image(upload)
        return data, ALLOWED_FORMATS[image.format], "image"
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    if kind and kind[0].startswith("video/"):
        return upload.read(), kind[0], "video"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return upload.read(), "audio/wav", "audio"
    for magic, content_type in AUDIO_SIGNATURES:
        if head.startswith(magic):
            return upload.read(), content_type, "audio"
    raise ValidationError(
        _("%(name)s is not an image, video or audio file we accept.") % {"name": upload.name}
    )


class UploadForm(NoColonForm):
    files = AssetField(label=gettext_lazy("Files (images, videos or audio)"))
    items = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_files(self):
        checked = []
        for f in self.cleaned_data.get("files") or []:
            checked.append((f.name, *check_media(f)))
        return checked

    def save_uploads(self, team, user) -> list[ReferenceUpload]:
        saved = []
        for name, data, content_type, kind in self.cleaned_data["files"]:
            upload = ReferenceUpload(
                team=team,
                user=user,
                original_name=name[:200],
                content_type=content_type,
                media_kind=kind,
                size_bytes=len(data),
            )
            extension = content_type.split("/")[-1].replace("mpeg", "mp3").replace("jpeg", "jpg")
            upload.file.save(f"asset.{extension}", ContentFile(data), save=True)
            saved.append(upload)
        return saved
