"""Signed, expiring public links so Zcheap can fetch our files (references, asset sources).

Zcheap only takes media as URLs. Local storage: a signed token on ZCHEAP_PUBLIC_BASE_URL, served
without login by `public_media` until it expires. S3: the storage's own presigned URL.
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_safe

SALT = "zcheap-studio.public-media"


def _default_ttl() -> int:
    return settings.PUBLIC_LINK_TTL_SECONDS


def public_url(obj, *, ttl: int | None = None) -> str:
    """A URL Zcheap can GET for OBJ (a ReferenceUpload or a MediaItem) for TTL seconds."""
    from gallery.models import MediaItem, ReferenceUpload

    if isinstance(obj, ReferenceUpload):
        kind = "u"
    elif isinstance(obj, MediaItem):
        kind = "i"
    else:
        raise TypeError(f"no public links for {type(obj).__name__}")
    if settings.STORAGE_BACKEND == "s3":
        return obj.file.storage.url(obj.file.name, expire=ttl or _default_ttl())
    token = signing.dumps({"k": kind, "id": obj.pk, "ttl": ttl or _default_ttl()}, salt=SALT)
    # The link ends in the file's own extension: Zcheap's image route refuses links that end
    # in anything but .png/.jpg/.jpeg (contract §0), and uploads are stored as PNG or JPEG.
    extension = obj.file.name.rsplit(".", 1)[-1].lower() if "." in obj.file.name else "png"
    path = reverse("public_media_named", args=[token, f"ref.{extension}"])
    return settings.ZCHEAP_PUBLIC_BASE_URL.rstrip("/") + path


def public_path_prefix() -> str:
    """Where every signed link lives (the demo simulator may fetch only below it)."""
    return settings.ZCHEAP_PUBLIC_BASE_URL.rstrip("/") + "/p/"


def resolve(token: str):
    """Return the object a token names, or raise Http404 when it is forged or expired."""
    from gallery.models import MediaItem, ReferenceUpload

    try:
        data = signing.loads(token, salt=SALT, max_age=settings.PUBLIC_LINK_TTL_MAX_SECONDS)
        max_age = int(data["ttl"])
        signing.loads(token, salt=SALT, max_age=max_age)
        model = {"u": ReferenceUpload, "i": MediaItem}[data["k"]]
        obj = model.objects.get(pk=int(data["id"]))
    except (signing.BadSignature, KeyError, ValueError, TypeError, LookupError):
        raise Http404("link expired or invalid") from None
    except (ReferenceUpload.DoesNotExist, MediaItem.DoesNotExist):
        raise Http404("gone") from None
    if isinstance(obj, MediaItem) and obj.deleted_at is not None:
        raise Http404("gone")
    return obj


@login_not_required
@require_safe
def public_media(request: HttpRequest, token: str, filename: str = "") -> FileResponse:
    obj = resolve(token)
    content_type = obj.content_type or mimetypes.guess_type(obj.file.name)[0]
    response = FileResponse(
        obj.file.open("rb"), content_type=content_type or "application/octet-stream"
    )
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
