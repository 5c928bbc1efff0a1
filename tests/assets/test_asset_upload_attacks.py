"""Asset uploads under attack: fake media, big files held in memory, quota races, half-done
requests. Each test reproduces what the attack run did."""

from __future__ import annotations

import struct
import threading
import tracemalloc
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import connection

from assets.forms import UploadForm
from assets.models import Asset, AssetGroup
from gallery.generation.simulator_runtime import demo_client
from gallery.models import ReferenceUpload
from tests.conftest import client_for
from tests.factories import png_bytes
from zcheap.simulator import media as sim_media

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _simulator(settings, tmp_path):
    settings.ZCHEAP_SIMULATOR_DB = tmp_path / "sim.db"
    settings.ZCHEAP_DEMO_SPEED = "fast"


@pytest.fixture
def group(bob, team_a):
    bob.post("/assets/groups/new/", {"name": "Cast"})
    return AssetGroup.objects.get(team=team_a)


def _png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def _stored_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def wav(seconds: float, rate: int = 8000) -> bytes:
    """A silent 8-bit mono WAV."""
    samples = int(seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + samples) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", samples) + b"\x80" * samples


# --- probing ---------------------------------------------------------------------------------
def test_an_html_page_with_an_mp4_header_is_refused(group, bob):
    fake = b"\x00\x00\x00\x18ftypmp42" + b"<html><script>alert(1)</script></html>".ljust(42)
    assert len(fake) == 54
    upload = SimpleUploadedFile("clip.mp4", fake, content_type="video/mp4")
    response = bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [upload]}, follow=True)
    assert "clip.mp4" in response.content.decode() and not Asset.objects.exists()


def test_an_mp3_header_on_garbage_is_refused(group, bob):
    upload = SimpleUploadedFile("song.mp3", b"ID3" + b"\x00" * 60, content_type="audio/mpeg")
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [upload]})
    assert not Asset.objects.exists()


def test_real_video_and_audio_are_accepted(group, bob):
    clip = sim_media.video("a fox", 1, 1, "16:9", "480p")
    files = [
        SimpleUploadedFile("clip.mp4", clip, content_type="video/mp4"),
        SimpleUploadedFile("tone.wav", wav(0.5), content_type="audio/wav"),
    ]
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": files})
    assert sorted(Asset.objects.values_list("asset_type", flat=True)) == ["Audio", "Video"]


# --- memory ----------------------------------------------------------------------------------
def test_a_large_upload_is_streamed_to_storage_not_read_into_memory(group, team_a, member_a):
    data = wav(2500)  # 20 MB
    upload = TemporaryUploadedFile("long.wav", "audio/wav", len(data), None)
    upload.write(data)
    upload.seek(0)
    del data
    form = UploadForm({}, {"files": [upload]})
    tracemalloc.start()
    assert form.is_valid(), form.errors
    (saved,) = form.save_uploads(team_a, member_a)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    upload.close()  # storage moved the temporary file into place, as in a real request
    assert saved.size_bytes > 20_000_000 and saved.file.size == saved.size_bytes
    assert peak < 5_000_000, f"{peak / 1e6:.1f} MB held in memory"


# --- all or nothing --------------------------------------------------------------------------
def test_a_failure_half_way_leaves_no_assets_no_uploads_no_files(group, bob, settings, monkeypatch):
    from zcheap.client import ZcheapClient
    from zcheap.errors import TransientError

    original, calls = ZcheapClient.asset_create, []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise TransientError("upstream 502")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ZcheapClient, "asset_create", flaky)
    before = set(_stored_files(settings))
    response = bob.post(
        f"/assets/groups/{group.pk}/upload/",
        {"files": [_png(f"{n}.png") for n in range(5)]},
        follow=True,
    )
    assert "could not" in response.content.decode().lower()
    assert not Asset.objects.exists() and not ReferenceUpload.objects.exists()
    assert set(_stored_files(settings)) == before
    with demo_client(group.team) as client:
        assert client.asset_quota().current_count == 0  # the two created upstream were removed


# --- the quota race (PostgreSQL) -------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_never_exceed_the_quota_or_leave_orphans(team_a, member_a, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers anyway)")
    settings.ZCHEAP_DEMO_ASSET_QUOTA = 25
    bob = client_for(member_a)
    bob.post("/assets/groups/new/", {"name": "Cast"})
    group = AssetGroup.objects.get(team=team_a)
    before = set(_stored_files(settings))
    barrier, results = threading.Barrier(5), []

    def upload(n: int) -> None:
        client = client_for(member_a)
        files = [_png(f"r{n}-{i}.png") for i in range(10)]
        barrier.wait()
        try:
            response = client.post(f"/assets/groups/{group.pk}/upload/", {"files": files})
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302] * 5
    per_request = {}
    for name in Asset.objects.values_list("name", flat=True):
        per_request.setdefault(name.split("-")[0], 0)
        per_request[name.split("-")[0]] += 1
    assert sorted(per_request.values()) == [10, 10]  # two whole requests, three refused whole
    assert ReferenceUpload.objects.count() == 20
    new_files = set(_stored_files(settings)) - before
    assert len(new_files) == 20  # no stored file without an asset
    with demo_client(group.team) as client:
        assert client.asset_quota().current_count == 20


def test_a_picture_bomb_is_refused_before_it_is_decoded(group, bob, settings, monkeypatch):
    from PIL import ImageFile

    from tests.gallery.generation.test_hostile_media import png_bomb

    decoded = []
    original = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: decoded.append(self.size) or original(self)
    )
    upload = SimpleUploadedFile("huge.png", png_bomb(12_500, 12_500), content_type="image/png")
    response = bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [upload]}, follow=True)
    assert "huge.png" in response.content.decode()
    assert not Asset.objects.exists() and decoded == []


def test_a_video_larger_than_the_pixel_cap_is_refused(group, bob, settings):
    settings.IMAGE_MAX_PIXELS = 10_000  # the test clip is 854 × 480
    clip = sim_media.video("a fox", 1, 1, "16:9", "480p")
    upload = SimpleUploadedFile("clip.mp4", clip, content_type="video/mp4")
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [upload]})
    assert not Asset.objects.exists()
