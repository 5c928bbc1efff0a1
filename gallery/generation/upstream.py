"""Turn a Generation row into the Zcheap call that submits it (the params contract lives here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gallery.models import Generation, Kind, MediaItem, ReferenceUpload
from zcheap import types as t

from . import public_links
from . import uploads as upload_files


class BuildError(Exception):
    """The generation cannot be sent as it is (e.g. a reference was deleted)."""


@dataclass(frozen=True)
class Submission:
    """What to call: a client method name and its arguments."""

    method: str
    args: tuple = ()
    kwargs: dict | None = None

    def call(self, client) -> Any:
        return getattr(client, self.method)(*self.args, **(self.kwargs or {}))


def reference_urls(generation: Generation) -> list[str]:
    """Every reference as a URL Zcheap can fetch: uploads, gallery items, assets, typed URLs."""
    params = generation.params or {}
    urls: list[str] = []
    upload_ids = [int(i) for i in params.get("reference_uploads", [])]
    uploads = upload_ids and {
        u.pk: u for u in ReferenceUpload.objects.filter(team=generation.team, pk__in=upload_ids)
    }
    item_ids = [int(i) for i in params.get("reference_items", [])]
    items = item_ids and {
        i.pk: i
        for i in MediaItem.objects.filter(
            team=generation.team, pk__in=item_ids, deleted_at__isnull=True
        )
    }
    for pk in upload_ids:
        if pk not in uploads:
            raise BuildError(_("A reference image was removed before the task was sent."))
        urls.append(public_links.public_url(uploads[pk]))
    for pk in item_ids:
        if pk not in items:
            raise BuildError(
                _("A gallery item used as reference was deleted before the task was sent.")
            )
        try:
            urls.append(public_links.public_url(upload_files.sendable_copy(items[pk])))
        except upload_files.MediaError:
            raise BuildError(
                _("A gallery item used as reference could not be read as an image.")
            ) from None
    urls += [f"asset://{asset_id}" for asset_id in params.get("reference_assets", [])]
    urls += [u for u in params.get("reference_urls", []) if isinstance(u, str)]
    return urls


def mask_base64(generation: Generation) -> str | None:
    import base64

    upload_id = (generation.params or {}).get("mask_upload")
    if not upload_id:
        return None
    upload = ReferenceUpload.objects.filter(team=generation.team, pk=upload_id).first()
    if upload is None:
        raise BuildError(_("The mask for this edit is missing."))
    with upload.file.open("rb") as handle:
        return "data:image/png;base64," + base64.b64encode(handle.read()).decode()


def build(generation: Generation) -> Submission:
    p = generation.params or {}
    if generation.kind == Kind.IMAGE:
        request = t.ImageRequest(
            model=generation.model,
            prompt=generation.prompt,
            aspect_ratio=p.get("aspect_ratio") or None,
            size=p.get("size") or None,
            images=tuple(reference_urls(generation)),
        )
        return Submission("create_image", (request,))
    if generation.kind == Kind.VIDEO:
        request = t.VideoRequest(
            model=generation.model,
            prompt=generation.prompt,
            images=tuple(reference_urls(generation)),
            duration=p.get("duration"),
            aspect_ratio=p.get("aspect_ratio") or None,
            resolution=p.get("resolution") or None,
            audio=p.get("audio"),
            role_mode=p.get("role_mode") or None,
            reference_video_urls=tuple(p.get("reference_video_urls", [])),
            reference_audio_urls=tuple(p.get("reference_audio_urls", [])),
        )
        return Submission("create_video", (request,))
    action = generation.action
    if action == "imagine":
        # Image prompts: reference URLs go at the start of the MJ prompt.
        prompt = " ".join([*reference_urls(generation), generation.prompt]).strip()
        return Submission("mj_imagine", (prompt,))
    if action == "blend":
        return Submission(
            "mj_blend",
            (reference_urls(generation),),
            {"dimensions": p.get("dimensions") or "SQUARE"},
        )
    parent = generation.parent
    if parent is None or not parent.remote_id:
        raise BuildError(_("The Midjourney image this action belongs to is missing."))
    request = t.MjChangeRequest(
        task_id=parent.remote_id,
        action=t.MJ_ACTIONS[action],
        index=generation.parent_index or 1,
        prompt=p.get("remix_prompt") or None,
        mask_base64=mask_base64(generation) if action == "inpaint" else None,
        direction=t.PAN_DIRECTIONS.get(p.get("direction")) if action == "pan" else None,
        scale=float(p["scale"]) if p.get("scale") else None,
        mode=p.get("mode") or None,
        base_prompt=parent.prompt,
    )
    return Submission("mj_change", (request,))
