"""Media files, served only to members of the item's team (outsiders get 404, even with a
guessed URL), with ETag / Last-Modified, byte ranges for video, and X-Accel-Redirect or
X-Sendfile hand-off to the web server in production."""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from accounts.permissions import team_view
from gallery.models import MediaItem

VARIANTS = {
    "original": "file",
    "large": "thumbnail",
    "small": "thumbnail_small",
    "poster": "poster",
}
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _item_for(request: HttpRequest, item_id: int) -> MediaItem:
    item = get_object_or_404(MediaItem, pk=item_id, team=request.team)
    if item.deleted_at is not None and not (
        request.GET.get("deleted") == "1" and _may_undo(request, item)
    ):
        raise Http404("deleted")
    return item


def _may_undo(request: HttpRequest, item: MediaItem) -> bool:
    """A deleted item's file is shown (`?deleted=1`, e.g. beside an Undo) only to those who may
    restore it (Membership.may_delete); anyone else gets 404, as if it were gone already."""
    return request.membership.may_delete(item)


@require_safe
@team_view()
def media_file(request: HttpRequest, item_id: int, variant: str = "original") -> HttpResponse:
    item = _item_for(request, item_id)
    field = getattr(item, VARIANTS.get(variant, "file"))
    if not field:
        field = item.poster or item.thumbnail or item.file if variant != "original" else item.file
    if not field:
        raise Http404("no such file")
    filename = PurePosixPath(field.name).name
    etag = f'"{item.pk}-{variant}-{(item.sha256 or filename)[:16]}"'
    modified = item.created_at.timestamp()
    if request.headers.get("If-None-Match") == etag or (
        (since := parse_http_date_safe(request.headers.get("If-Modified-Since", "")))
        and since >= int(modified)
    ):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        response["Cache-Control"] = cache_control(request, item)
        return response
    content_type = item.content_type if field.name == item.file.name else None
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if settings.STORAGE_BACKEND == "s3" and settings.MEDIA_SERVE_MODE != "x-accel-redirect":
        return HttpResponseRedirect(field.storage.url(field.name, expire=300))
    response = _serve(request, field, content_type)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = cache_control(request, item)
    response["X-Content-Type-Options"] = "nosniff"
    if request.GET.get("download") == "1":
        ext = PurePosixPath(filename).suffix
        response["Content-Disposition"] = (
            f'attachment; filename="zcheap-{item.kind}-{item.pk}{ext}"'
        )
    return response


def _accel_target(field) -> str:
    """The internal nginx location for FIELD: the file under MEDIA_ROOT, or, on S3, a presigned
    request nginx forwards to the bucket (the bucket stays private and out of the browser's
    reach; the link lives a minute and only nginx ever sees it)."""
    prefix = settings.MEDIA_ACCEL_PREFIX.rstrip("/")
    if settings.STORAGE_BACKEND != "s3":
        return f"{prefix}/{field.name}"
    signed = urlsplit(field.storage.url(field.name, expire=60))
    return f"{prefix}{signed.path}?{signed.query}"


def cache_control(request: HttpRequest, item: MediaItem) -> str:
    """A year and `immutable` when the URL names the file's content (`?v=`, see
    MediaItem.media_version): the next page view re-fetches no thumbnail. Always `private`, so no
    shared cache keeps a team's file; every request that does arrive is checked as before."""
    if request.GET.get("v") == item.media_version:
        return "private, max-age=31536000, immutable"
    return "private, max-age=86400"


def _serve(request: HttpRequest, field, content_type: str) -> HttpResponse:
    mode = settings.MEDIA_SERVE_MODE
    if mode in {"x-accel-redirect", "x-sendfile"}:
        response = HttpResponse(content_type=content_type)
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = _accel_target(field)
        else:
            response["X-Sendfile"] = field.path
        return response
    size = field.size
    match = RANGE.match(request.headers.get("Range", ""))
    if match and (match.group(1) or match.group(2)):
        start, end = match.group(1), match.group(2)
        if start:
            first, last = int(start), int(end) if end else size - 1
        else:  # "bytes=-N": the last N bytes
            first, last = max(0, size - int(end)), size - 1
        last = min(last, size - 1)
        if first > last or first >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle = field.open("rb")
        handle.seek(first)
        data = handle.read(last - first + 1)
        handle.close()
        response = HttpResponse(data, status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Content-Length"] = str(size)
    return response


def serve_item_variant(request: HttpRequest, item: MediaItem, variant: str) -> HttpResponse:
    """ITEM's file (VARIANT as in VARIANTS) for a caller that has already decided the request
    may see it (review links): no team check here, short private caching, no download name."""
    field = getattr(item, VARIANTS.get(variant, "file"))
    if not field and variant != "original":
        field = item.poster or item.thumbnail or item.file
    if not field:
        raise Http404("no such file")
    filename = PurePosixPath(field.name).name
    content_type = item.content_type if field.name == item.file.name else None
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if settings.STORAGE_BACKEND == "s3" and settings.MEDIA_SERVE_MODE != "x-accel-redirect":
        return HttpResponseRedirect(field.storage.url(field.name, expire=300))
    response = _serve(request, field, content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
