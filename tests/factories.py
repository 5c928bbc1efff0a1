"""Small builders for test data with real files."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from PIL import Image

from gallery.models import Generation, Kind, MediaItem, State


def png_bytes(size=(64, 48), colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def webp_bytes(size=(32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 40, 200)).save(out, format="WEBP")
    return out.getvalue()


def make_generation(
    team, user, *, kind=Kind.IMAGE, state=State.DONE, prompt="a red fox", **fields
) -> Generation:
    defaults = {"model": "gemini-3-pro-image-preview", "action": "generate"}
    if kind == Kind.MIDJOURNEY:
        defaults = {"model": "midjourney", "action": "imagine", "remote_id": "1234"}
    elif kind == Kind.VIDEO:
        defaults = {"model": "ima-pro", "action": "generate"}
    defaults.update(fields)
    return Generation.objects.create(
        team=team, user=user, kind=kind, state=state, prompt=prompt, **defaults
    )


def make_item(generation: Generation, index: int = 0, data: bytes | None = None) -> MediaItem:
    item = MediaItem(
        team=generation.team,
        generation=generation,
        user=generation.user,
        kind=generation.kind,
        model=generation.model,
        prompt=generation.prompt,
        media_kind="image",
        index=index,
        content_type="image/png",
        width=64,
        height=48,
        sha256="ab" * 32,
    )
    item.file.save(f"g{generation.pk}-{index}.png", ContentFile(data or png_bytes()), save=False)
    item.thumbnail.save(f"g{generation.pk}-{index}.webp", ContentFile(webp_bytes()), save=False)
    item.thumbnail_small.save(
        f"g{generation.pk}-{index}-s.webp", ContentFile(webp_bytes()), save=False
    )
    item.size_bytes = item.file.size
    item.save()
    return item
