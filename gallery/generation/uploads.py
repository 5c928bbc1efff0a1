"""Validated reference uploads: real images only, within size and pixel limits."""

from __future__ import annotations

import base64
import io
import struct

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image

from gallery.models import MediaItem, ReferenceUpload

from .media_processing import MediaError, _open

ALLOWED_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
# Zcheap's image route takes PNG and JPEG only (contract §0): anything else is stored as PNG.
SENT_AS_IS = {"PNG", "JPEG"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("accept", "image/png,image/jpeg,image/webp,image/gif")

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


def too_large(upload) -> ValidationError | None:
    if upload.size > settings.UPLOAD_MAX_BYTES:
        return ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    return None


def check_image(upload) -> Image.Image:
    """Check UPLOAD is an image we accept, reading only its header and structure from the file
    (never the whole file into memory, never its pixels); raise ValidationError with a reason."""
    if error := too_large(upload):
        raise error
    try:
        image = _open(upload)
    except MediaError:
        raise ValidationError(
            _("%(name)s is not an image we can read (PNG, JPEG, WebP or GIF).")
            % {"name": upload.name}
        ) from None
    finally:
        upload.seek(0)
    if image.format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("%(name)s is a %(format)s file; use PNG, JPEG, WebP or GIF.")
            % {"name": upload.name, "format": image.format}
        )
    return image


def as_png(source) -> bytes:
    """SOURCE (bytes or a file) as PNG bytes: WebP, GIF (first frame) and the like, decoded
    within IMAGE_MAX_PIXELS."""
    image = _open(source)
    image.seek(0)
    bands = image.getbands()
    frame = image.convert("RGBA" if "A" in bands or "transparency" in image.info else "RGB")
    out = io.BytesIO()
    frame.save(out, format="PNG")
    if hasattr(source, "seek"):
        source.seek(0)
    return out.getvalue()


def save_reference(team, user, upload) -> ReferenceUpload:
    image = check_image(upload)
    reference = ReferenceUpload(
        team=team,
        user=user,
        original_name=upload.name[:200],
        content_type="image/png",
        size_bytes=upload.size,
        width=image.width,
        height=image.height,
    )
    if image.format not in SENT_AS_IS:  # Zcheap takes PNG and JPEG only (contract §0)
        data = as_png(upload)
        reference.size_bytes = len(data)
        reference.file.save("reference.png", ContentFile(data), save=True)
        return reference
    reference.content_type = ALLOWED_FORMATS[image.format]
    extension = {"JPEG": "jpg"}.get(image.format, image.format.lower())
    reference.file.save(f"reference.{extension}", upload, save=True)  # copied in chunks
    return reference


def sendable_copy(item: MediaItem) -> MediaItem | ReferenceUpload:
    """ITEM itself when it is PNG/JPEG, else a PNG copy (made once) that Zcheap will take."""
    if item.content_type in {"image/png", "image/jpeg"}:
        return item
    name = f"gallery-item-{item.pk}.png"
    existing = ReferenceUpload.objects.filter(team_id=item.team_id, original_name=name).first()
    if existing is not None:
        return existing
    with item.file.open("rb") as handle:
        data = as_png(handle)
    copy = ReferenceUpload(
        team_id=item.team_id,
        user_id=item.user_id,
        original_name=name,
        content_type="image/png",
        size_bytes=len(data),
        width=item.width,
        height=item.height,
    )
    copy.file.save("reference.png", ContentFile(data), save=True)
    return copy


def _png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header chunk, without Pillow (so the answer for a wrong size
    is about the size, even when it is also above the pixel cap)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


def _wrong_size(size: tuple[int, int], expected: tuple[int, int]) -> ValidationError:
    return ValidationError(
        _(
            "The mask is %(width)d × %(height)d pixels but the image is %(image_width)d × "
            "%(image_height)d. Draw it again on this image."
        )
        % {
            "width": size[0],
            "height": size[1],
            "image_width": expected[0],
            "image_height": expected[1],
        }
    )


def _decode_mask(data_url: str, expected: tuple[int, int] | None) -> Image.Image:
    """The mask as a greyscale image, its size checked from the PNG header before a single pixel
    is decoded: it must be the size of the image it edits (the editor paints at the picture's
    own size) and within IMAGE_MAX_PIXELS. A 0.8 MB PNG can describe 150 megapixels."""
    if not data_url.startswith("data:image/png;base64,"):
        raise ValidationError(_("Draw the area to change on the image first."))
    try:
        data = base64.b64decode(data_url.split(",", 1)[1], validate=True)
    except ValueError:
        raise ValidationError(_("The mask could not be read. Draw it again.")) from None
    size = _png_size(data)
    if expected and size and size != expected:
        raise _wrong_size(size, expected)
    try:
        image = _open(data)
    except MediaError:
        raise ValidationError(_("The mask could not be read. Draw it again.")) from None
    if image.format != "PNG":
        raise ValidationError(_("The mask could not be read. Draw it again."))
    if expected and image.size != expected:
        raise _wrong_size(image.size, expected)
    try:
        return image.convert("L")
    except Exception:
        raise ValidationError(_("The mask could not be read. Draw it again.")) from None


def save_mask(
    team, user, data_url: str, expected: tuple[int, int] | None = None
) -> ReferenceUpload:
    """A mask drawn in the browser (a PNG data URL): white = repaint. EXPECTED is the size of
    the image it edits, when known."""
    image = _decode_mask(data_url, expected)
    if image.getextrema()[1] < 128:
        raise ValidationError(_("Draw the area to change on the image first."))
    out = io.BytesIO()
    image.save(out, format="PNG")
    reference = ReferenceUpload(
        team=team,
        user=user,
        original_name="mask.png",
        content_type="image/png",
        size_bytes=len(out.getvalue()),
        width=image.width,
        height=image.height,
    )
    reference.file.save("mask.png", ContentFile(out.getvalue()), save=True)
    return reference
