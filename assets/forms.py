from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import NoColonForm
from gallery.generation import (
    ALLOWED_FORMATS,
    MediaError,
    MultipleImageField,
    check_image,
    probe_av,
    sniff,
    too_large,
)
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


def _refused(upload) -> ValidationError:
    return ValidationError(
        _("%(name)s is not an image, video or audio file we accept.") % {"name": upload.name}
    )


def _claimed_kind(head: bytes) -> tuple[str, str] | None:
    """(content type, kind) the first bytes claim; PyAV then checks the claim."""
    kind = sniff(head)
    if kind and kind[0].startswith(("image/", "video/")):
        return kind[0], kind[0].split("/")[0]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav", "audio"
    for magic, content_type in AUDIO_SIGNATURES:
        if head.startswith(magic):
            return content_type, "audio"
    return None


def check_media(upload) -> tuple[str, str]:
    """(content type, media kind) for an accepted file, else a ValidationError. The file stays
    where Django's upload handler put it (on disk above 2 MB): only headers are read, and
    videos and audio are opened with PyAV and their first frame decoded, so a file that only
    starts like an MP4 or MP3 is refused."""
    if error := too_large(upload):
        raise error
    head = upload.read(16)
    upload.seek(0)
    claimed = _claimed_kind(head)
    if claimed is None:
        raise _refused(upload)
    content_type, kind = claimed
    if kind == "image":
        image = check_image(upload)
        return ALLOWED_FORMATS[image.format], "image"
    try:
        probe_av(upload, kind)
    except MediaError:
        raise _refused(upload) from None
    return content_type, kind


class UploadForm(NoColonForm):
    files = AssetField(label=gettext_lazy("Files (images, videos or audio)"))
    items = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_files(self):
        return [(f, *check_media(f)) for f in self.cleaned_data.get("files") or []]

    @property
    def file_count(self) -> int:
        return len(self.cleaned_data.get("files") or [])

    def save_uploads(self, team, user) -> list[ReferenceUpload]:
        """Store the checked files, copied from the upload in chunks (never whole in memory)."""
        saved = []
        for upload_file, content_type, kind in self.cleaned_data["files"]:
            upload = ReferenceUpload(
                team=team,
                user=user,
                original_name=upload_file.name[:200],
                content_type=content_type,
                media_kind=kind,
                size_bytes=upload_file.size,
            )
            extension = content_type.split("/")[-1].replace("mpeg", "mp3").replace("jpeg", "jpg")
            upload.file.save(f"asset.{extension}", upload_file, save=True)
            saved.append(upload)
        return saved
