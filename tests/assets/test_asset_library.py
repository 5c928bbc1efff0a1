"""The asset library through the UI, against the simulator: groups, uploads, review, quota, sync."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets import sync
from assets.models import Asset, AssetGroup
from gallery.generation.simulator_runtime import demo_client
from gallery.models import ReferenceUpload
from tests.conftest import HTMX
from tests.factories import make_generation, make_item, png_bytes
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


def reviewed(team, assets) -> None:
    """Refresh ASSETS from the simulator until none is still in review (about 0.3 s when fast)."""
    wait_until(lambda: sync.refresh(team, list(assets)), lambda still: still == 0, what="review")


@pytest.fixture(autouse=True)
def _simulator(settings, tmp_path):
    settings.ZCHEAP_SIMULATOR_DB = tmp_path / "sim.db"
    settings.ZCHEAP_DEMO_SPEED = "fast"


@pytest.fixture
def group(bob, team_a):
    bob.post("/assets/groups/new/", {"name": "Cast", "description": "our heroes"})
    return AssetGroup.objects.get(team=team_a)


def _png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def test_a_member_creates_a_group_that_exists_upstream(group, bob, team_a):
    assert group.remote_id.startswith("group-") and group.description == "our heroes"
    with demo_client(team_a) as client:
        assert client.asset_group_get(group.remote_id).name == "Cast"
    page = bob.get("/assets/").content.decode()
    assert "Cast" in page and "0 active of 0" in page and "0 of 500 assets used" in page


def test_uploads_turn_active_in_place(group, bob, team_a):
    response = bob.post(
        f"/assets/groups/{group.pk}/upload/",
        {"files": [_png("hero.png"), _png("villain.png")]},
        follow=True,
    )
    assert "2 assets sent for review" in response.content.decode()
    assets = list(Asset.objects.filter(group=group))
    assert {a.status for a in assets} == {"Processing"} and {a.name for a in assets} == {
        "hero.png",
        "villain.png",
    }
    rows = bob.get(f"/assets/groups/{group.pk}/rows/", **HTMX)
    assert rows.status_code == 200 and "every 2s" in rows.content.decode()
    reviewed(team_a, assets)
    rows = bob.get(f"/assets/groups/{group.pk}/rows/", **HTMX)
    assert rows.status_code == 286 and rows.content.decode().count('data-status="Active"') == 2


def test_gallery_items_can_become_assets(group, bob, team_a, owner_a):
    item = make_item(make_generation(team_a, owner_a, prompt="a product shot"))
    bob.post(f"/assets/groups/{group.pk}/upload/", {"item": [item.pk]})
    asset = Asset.objects.get(group=group)
    assert asset.item == item and asset.name == "a product shot"


def test_a_failed_review_shows_the_reason(group, bob, team_a):
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [_png("bad [sim:asset-fail].png")]})
    reviewed(team_a, Asset.objects.filter(group=group))
    page = bob.get(f"/assets/groups/{group.pk}/").content.decode()
    assert 'data-status="Failed"' in page and "did not pass review" in page
    # Zcheap's own (English) words, marked as theirs under a label we translate
    assert re.search(
        r'Reason given by Zcheap: <q lang="en" class="upstream-text">[^<]*did not pass', page
    )


def test_an_upload_that_would_exceed_the_quota_creates_nothing(group, bob, settings, team_a):
    settings.ZCHEAP_DEMO_ASSET_QUOTA = 1
    response = bob.post(
        f"/assets/groups/{group.pk}/upload/", {"files": [_png("a.png"), _png("b.png")]}, follow=True
    )
    assert "Only 1 more assets fit in your quota" in response.content.decode()
    assert not Asset.objects.exists() and not ReferenceUpload.objects.exists()
    with demo_client(team_a) as client:
        assert client.asset_quota().current_count == 0


def test_it_refuses_files_that_are_not_media(group, bob):
    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [fake]}, follow=True)
    assert "not an image, video or audio file" in response.content.decode()
    assert not Asset.objects.exists()


def test_members_rename_admins_delete(group, bob, alice, team_a):
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [_png("x.png")]})
    asset = Asset.objects.get()
    bob.post(f"/assets/items/{asset.pk}/rename/", {"name": "Hero"})
    asset.refresh_from_db()
    assert asset.name == "Hero"
    assert bob.post(f"/assets/items/{asset.pk}/delete/").status_code == 403
    alice.post(f"/assets/items/{asset.pk}/delete/")
    assert not Asset.objects.exists()
    with demo_client(team_a) as client, pytest.raises(Exception, match="not found"):
        client.asset_get(asset.remote_id)


def test_viewers_browse_but_cannot_change_anything(group, vera):
    assert vera.get(f"/assets/groups/{group.pk}/").status_code == 200
    assert (
        vera.post(f"/assets/groups/{group.pk}/upload/", {"files": [_png("x.png")]}).status_code
        == 403
    )
    assert vera.post("/assets/groups/new/", {"name": "X"}).status_code == 403


def test_sync_brings_in_what_was_made_elsewhere_and_marks_what_is_gone(group, bob, team_a):
    with demo_client(team_a) as client:
        other = client.asset_group_create("Made elsewhere")
        elsewhere = client.asset_create(other.id, "https://example.com/p.jpg", name="outside")
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [_png("mine.png")]})
    mine = Asset.objects.get(group=group)
    with demo_client(team_a) as client:
        client.asset_delete(mine.remote_id)
    response = bob.post("/assets/sync/", follow=True)
    assert "1 new groups, 1 new assets, 1 gone elsewhere" in response.content.decode()
    assert Asset.objects.get(remote_id=elsewhere).group.name == "Made elsewhere"
    mine.refresh_from_db()
    assert mine.gone_at is not None  # kept locally, marked gone


def test_upstream_errors_are_shown_not_500(bob, team_a):
    response = bob.post(
        "/assets/groups/new/", {"name": "x" * 64, "description": "y" * 300}, follow=True
    )
    assert response.status_code == 200
    AssetGroup.objects.create(team=team_a, remote_id="group-missing", name="Ghost")
    ghost = AssetGroup.objects.get(remote_id="group-missing")
    response = bob.post(
        f"/assets/groups/{ghost.pk}/upload/", {"files": [_png("x.png")]}, follow=True
    )
    assert "does not exist on Zcheap" in response.content.decode()


def test_active_assets_can_be_picked_in_the_video_form(group, bob, team_a):
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [_png("face.png")]})
    reviewed(team_a, Asset.objects.all())
    asset = Asset.objects.get()
    form = bob.get("/create/video/").content.decode()
    assert f'value="{asset.remote_id}"' in form
    bob.post(
        "/create/video/",
        {
            "model": "ima-pro",
            "prompt": "she smiles",
            "role_mode": "reference",
            "duration": "5",
            "resolution": "720p",
            "aspect_ratio": "16:9",
            "reference_assets": [asset.remote_id],
        },
    )
    from gallery.generation.upstream import reference_urls
    from gallery.models import Generation

    generation = Generation.objects.get()
    assert reference_urls(generation) == [f"asset://{asset.remote_id}"]


def test_active_assets_are_offered_as_reference_images_in_the_image_form(group, bob, team_a):
    bob.post(f"/assets/groups/{group.pk}/upload/", {"files": [_png("logo.png")]})
    reviewed(team_a, Asset.objects.all())
    asset = Asset.objects.get()
    bob.post(
        "/create/image/",
        {
            "model": "gemini-3-pro-image-preview",
            "prompt": "a mug with the logo",
            "aspect_ratio": "1:1",
            "size": "1K",
            "reference_assets": [asset.remote_id],
        },
    )
    from gallery.models import Generation

    params = Generation.objects.get().params
    assert params["reference_urls"] == [asset.url] and "reference_assets" not in params


def test_the_sync_command_reports_per_team(team_a, capsys):
    from django.core.management import call_command

    with demo_client(team_a) as client:
        client.asset_group_create("From the command")
    call_command("sync_assets")
    assert "groups_new': 1" in capsys.readouterr().out


def test_the_reconcile_loop_syncs_assets_periodically(team_a, settings, monkeypatch):
    from gallery.generation import tasks

    enqueued = []
    monkeypatch.setattr(
        "assets.tasks.sync_all_teams", type("T", (), {"enqueue": lambda: enqueued.append(1)})
    )
    settings.ASSET_SYNC_SECONDS = 900
    tasks._sync_assets_when_due()
    tasks._sync_assets_when_due()  # not due again for 15 minutes
    assert enqueued == [1]
