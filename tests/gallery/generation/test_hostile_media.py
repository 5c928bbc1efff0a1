"""Hostile files: masks and results built to exhaust memory or crash the thumbnailer."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile

from gallery.generation import media_processing, worker
from gallery.models import Generation, Kind, MediaItem, ReferenceUpload, State
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A 1-bit PNG of WIDTH × HEIGHT white pixels (a fully painted mask): under 1 MB for 150+
    megapixels."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def png_with_text_bomb() -> bytes:
    """A small real PNG followed by a zTXt chunk that inflates to 50 MB (after the pixels, so a
    structure check passes and only decoding meets it)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, format="PNG")
    data = out.getvalue()
    text = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 50_000_000, 9))
    return data[:-12] + text + data[-12:]  # before IEND


def _mask_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def _white_mask(size) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def grid(team_a, owner_a):
    generation = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY)
    for i in range(4):
        make_item(generation, i)  # 64 × 48
    return generation


@pytest.fixture
def decoded(monkeypatch):
    """The sizes of every image Pillow decodes (pixels held in memory) during the test."""
    sizes = []
    original = ImageFile.ImageFile.load

    def load(self):
        sizes.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def test_a_huge_mask_is_refused_before_it_is_decoded(bob, grid, decoded):
    bomb = png_bomb(12_500, 12_500)
    assert len(bomb) < 1_000_000
    response = bob.post(
        f"/tasks/{grid.pk}/mj/",
        {"action": "inpaint", "index": "2", "mask": _mask_url(bomb)},
        follow=True,
    )
    assert "12500 × 12500" in response.content.decode()
    assert not Generation.objects.filter(parent=grid).exists()
    assert not ReferenceUpload.objects.exists()
    assert (12_500, 12_500) not in decoded  # as greyscale that alone is 156 MB


def test_a_mask_must_match_the_image_it_edits(bob, grid):
    response = bob.post(
        f"/tasks/{grid.pk}/mj/",
        {"action": "inpaint", "index": "2", "mask": _mask_url(_white_mask((32, 32)))},
        follow=True,
    )
    assert not Generation.objects.filter(parent=grid).exists()
    assert "64 × 48" in response.content.decode()


def test_a_mask_of_the_right_size_is_kept(bob, grid):
    bob.post(
        f"/tasks/{grid.pk}/mj/",
        {"action": "inpaint", "index": "2", "mask": _mask_url(_white_mask((64, 48)))},
    )
    child = Generation.objects.get(parent=grid)
    upload = ReferenceUpload.objects.get(pk=child.params["mask_upload"])
    assert (upload.width, upload.height) == (64, 48)


def test_a_mask_for_an_image_of_unknown_size_is_still_capped(bob, grid, settings):
    grid.items.update(width=None, height=None)
    settings.IMAGE_MAX_PIXELS = 1_000_000
    bob.post(
        f"/tasks/{grid.pk}/mj/",
        {"action": "inpaint", "index": "2", "mask": _mask_url(png_bomb(2000, 2000))},
    )
    assert not Generation.objects.filter(parent=grid).exists()


def test_a_text_chunk_bomb_is_a_media_error_not_a_crash():
    with pytest.raises(media_processing.MediaError):
        media_processing.process_image(png_with_text_bomb())


def test_a_hostile_result_ends_the_task_failed_with_a_message(team_a, owner_a, monkeypatch):
    from gallery.generation import downloads

    generation = make_generation(
        team_a, owner_a, state=State.DOWNLOADING, result_urls=["https://cdn.example/x.png"]
    )
    bomb = png_with_text_bomb()
    monkeypatch.setattr(
        downloads,
        "download",
        lambda url, **kw: downloads.Downloaded(bomb, "image/png", "png", url),
    )
    assert worker.ingest_one(generation.pk) is False
    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert generation.error_message
    assert not MediaItem.objects.filter(generation=generation).exists()


def test_an_unexpected_ingest_error_is_retried_then_fails_for_good(team_a, owner_a, monkeypatch):
    from django.utils import timezone

    from gallery.generation import downloads

    generation = make_generation(
        team_a, owner_a, state=State.DOWNLOADING, result_urls=["https://cdn.example/x.png"]
    )

    def broken(url, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(downloads, "download", broken)
    for _attempt in range(worker.MAX_INGEST_ATTEMPTS):
        Generation.objects.filter(pk=generation.pk).update(lease_until=timezone.now())
        assert worker.ingest_one(generation.pk) is False
    generation.refresh_from_db()
    assert generation.state == State.FAILED
    assert "will be tried again" not in generation.error_message


def test_a_worker_that_keeps_dying_on_a_result_hits_the_retry_cap(team_a, owner_a, monkeypatch):
    """A crash the step cannot catch (the process killed by the OOM killer) leaves only the
    claim behind: the claim itself counts, and the cap ends the task."""
    generation = make_generation(
        team_a,
        owner_a,
        state=State.DOWNLOADING,
        result_urls=["https://cdn.example/x.png"],
        attempts=worker.MAX_INGEST_ATTEMPTS,
    )
    from gallery.generation import downloads
    from tests.factories import png_bytes

    good = png_bytes()
    monkeypatch.setattr(
        downloads, "download", lambda url, **kw: downloads.Downloaded(good, "image/png", "png", url)
    )
    assert worker.ingest_one(generation.pk) is False
    generation.refresh_from_db()
    assert generation.state == State.FAILED and generation.error_message
