"""The app against the strict simulator (contract §0, issue 10) and demo-mode rules (issue 11
items 3 and 4): single-URL grids, costs, MJ actions checked in their result, the asked prompt
kept, PNG/JPEG references, demo mode behind a setting, one simulated account per team."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Team
from gallery.generation import upstream, worker, zcheap_team
from gallery.generation.simulator_runtime import demo_client, demo_config
from gallery.models import ActionCheck, Generation, Kind, MediaItem, ReferenceUpload, State
from tests.conftest import client_for
from tests.factories import make_item, png_bytes
from tests.gallery.generation.worker.conftest import drive

pytestmark = pytest.mark.django_db


def _grid(make_generation, prompt: str = "a castle") -> Generation:
    generation = drive(make_generation(kind=Kind.MIDJOURNEY, prompt=prompt), timeout=8)
    assert generation.state == State.DONE
    return generation


def _child(parent: Generation, action: str, index: int = 1, **params) -> Generation:
    return Generation.objects.create(
        team=parent.team,
        user=parent.user,
        kind=Kind.MIDJOURNEY,
        action=action,
        model="midjourney",
        prompt=params.get("remix_prompt") or parent.prompt,
        params=params,
        parent=parent,
        parent_index=index,
    )


def test_a_grid_that_comes_back_as_one_url_becomes_four_pictures(make_generation):
    generation = _grid(make_generation, "a castle [sim:grid-url]")
    assert len(generation.result_urls) == 1
    items = list(generation.items.order_by("index"))
    assert [i.index for i in items] == [0, 1, 2, 3]
    assert len({i.sha256 for i in items}) == 4  # four different quadrants
    grid = Image.open(
        io.BytesIO(worker.downloads.download(generation.result_urls[0], max_bytes=10**8).content)
    )
    assert (items[0].width * 2, items[0].height * 2) == grid.size
    assert not generation.mj_single and generation.mj_indexes == [1, 2, 3, 4]


def test_an_upscale_stays_one_picture_and_offers_no_u_or_v(make_generation):
    grid = _grid(make_generation, "a castle [sim:four-urls]")
    upscale = drive(_child(grid, "upscale", 2), timeout=8)
    assert upscale.state == State.DONE and upscale.items.count() == 1
    assert upscale.action_check == "" and upscale.mj_single and upscale.mj_indexes == [1]


def test_a_pan_the_gateway_did_not_apply_is_said_on_the_card_and_counted(make_generation):
    grid = _grid(make_generation, "a castle [sim:four-urls]")
    left = drive(_child(grid, "pan", 1, direction="left", scale=1.5), timeout=8)
    down = drive(_child(grid, "pan", 2, direction="down", scale=1.5), timeout=8)
    assert left.state == down.state == State.DONE  # the result is kept either way
    assert left.action_check == ActionCheck.PAN_IGNORED
    assert "did not extend the picture in the direction you chose" in left.action_warning
    assert down.action_check == ActionCheck.APPLIED and down.action_warning == ""
    assert Generation.objects.filter(action_check=ActionCheck.PAN_IGNORED).count() == 1
    page = client_for(grid.user).get("/history/").content.decode()
    assert 'data-action-check="pan_ignored"' in page


def test_a_remix_keeps_the_asked_prompt_and_says_when_it_was_not_used(make_generation, owner_a):
    grid = _grid(make_generation, "a castle [sim:four-urls]")
    client = client_for(owner_a)
    client.post(
        f"/tasks/{grid.pk}/mj/",
        {"action": "remix", "index": 2, "remix_prompt": "a lighthouse at dusk"},
    )
    remix = Generation.objects.get(action="remix")
    assert remix.prompt == "a lighthouse at dusk"  # the card, history and Copy prompt
    remix = drive(remix, timeout=8)
    assert remix.state == State.DONE
    assert set(MediaItem.objects.filter(generation=remix).values_list("prompt", flat=True)) == {
        "a lighthouse at dusk"
    }
    assert remix.action_check == ActionCheck.PROMPT_IGNORED  # the gateway sent the parent's on
    found = client.get("/gallery/", {"q": "lighthouse"}).content.decode()
    assert f"/gallery/{remix.items.first().pk}/" in found


def test_vary_region_keeps_the_asked_prompt(make_generation, owner_a):
    grid = _grid(make_generation, "a castle [sim:four-urls]")
    first = grid.items.get(index=0)
    mask = Image.new("L", (first.width, first.height), 255)  # the editor paints at its size
    out = io.BytesIO()
    mask.save(out, format="PNG")
    import base64

    data_url = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    client_for(owner_a).post(
        f"/tasks/{grid.pk}/mj/",
        {"action": "inpaint", "index": 1, "mask": data_url, "remix_prompt": "a red door"},
    )
    assert Generation.objects.get(action="inpaint").prompt == "a red door"


def test_a_finished_video_records_what_it_cost(make_generation):
    video = drive(make_generation(kind=Kind.VIDEO, prompt="tea", params={"duration": 4}), timeout=8)
    assert video.state == State.DONE and video.amount_usd and video.amount_usd > 0


def test_a_failed_image_keeps_the_reason_zcheap_put_in_url(make_generation):
    failed = drive(make_generation(prompt="doomed [sim:fail]"), timeout=8)
    assert failed.state == State.FAILED and "image generation error" in failed.upstream_error


def test_flash_small_is_sent_as_512px_and_works(make_generation):
    old_row = make_generation(
        model="gemini-3.1-flash-image-preview", params={"size": "512", "aspect_ratio": "1:1"}
    )
    assert drive(old_row, timeout=8).state == State.DONE


# --- References: PNG/JPEG only ------------------------------------------------------------
def _image_file(fmt: str, name: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.mark.parametrize(("fmt", "name"), [("WEBP", "a.webp"), ("GIF", "a.gif")])
def test_webp_and_gif_uploads_are_sent_as_png(team_a, owner_a, fmt, name, settings):
    settings.ZCHEAP_PUBLIC_BASE_URL = "https://studio.example.com"
    client_for(owner_a).post(
        "/create/image/",
        {
            "model": "gemini-3-pro-image-preview",
            "prompt": "x",
            "aspect_ratio": "1:1",
            "size": "1K",
            "reference_files": [_image_file(fmt, name)],
        },
    )
    upload = ReferenceUpload.objects.get()
    assert upload.content_type == "image/png" and upload.file.name.endswith(".png")
    with upload.file.open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    request = upstream.build(Generation.objects.get()).args[0]
    assert request.images[0].endswith("/ref.png")
    assert (
        client_for(owner_a)
        .get(request.images[0].removeprefix("https://studio.example.com"))
        .status_code
        == 200
    )


def test_a_webp_gallery_item_is_sent_as_a_png_copy(make_generation, team_a, owner_a):
    source = make_generation()
    item = make_item(source)
    MediaItem.objects.filter(pk=item.pk).update(content_type="image/webp")
    generation = make_generation(params={"reference_items": [item.pk]})
    url = upstream.build(generation).args[0].images[0]
    assert url.endswith(".png")
    again = upstream.build(generation).args[0].images[0]
    assert ReferenceUpload.objects.filter(original_name=f"gallery-item-{item.pk}.png").count() == 1
    assert again.endswith(".png")


def test_webp_links_and_more_than_14_references_get_a_clear_form_error(team_a, owner_a):
    page = client_for(owner_a).post(
        "/create/image/",
        {
            "model": "gemini-3-pro-image-preview",
            "prompt": "x",
            "aspect_ratio": "1:1",
            "size": "1K",
            "reference_urls": "https://e.com/a.webp",
        },
    )
    assert "is not a PNG or JPEG link" in page.content.decode()
    assert not Generation.objects.exists()


# --- Demo mode (issue 11 items 3 and 4) ---------------------------------------------------
def test_demo_mode_is_off_unless_a_setting_enables_it(make_generation, settings, team_a):
    settings.ZCHEAP_DEMO_MODE = False
    assert not team_a.demo_mode and team_a.needs_key
    generation = make_generation()
    assert worker.submit_one(generation.pk) == "failed"
    generation.refresh_from_db()
    assert "no Zcheap API key" in generation.error_message
    result = zcheap_team.check_connection(team_a)
    assert not result.ok and "no Zcheap API key" in result.message


def test_only_the_development_run_command_enables_demo_mode():
    from pathlib import Path

    from django.conf import settings as django_settings

    source = (Path(django_settings.BASE_DIR) / "dev.py").read_text()
    assert 'env.setdefault("ZCHEAP_DEMO_MODE", "1")' in source
    settings_source = (Path(django_settings.BASE_DIR) / "zcheap_site" / "settings.py").read_text()
    assert 'envbool("ZCHEAP_DEMO_MODE", False)' in settings_source


def test_demo_teams_do_not_share_one_simulated_account(team_a, team_b):
    with demo_client(team_a) as a, demo_client(team_b) as b:
        group = a.asset_group_create("mine")
        asset = a.asset_create(group.id, "https://example.com/p.jpg")
        task = a.mj_imagine("x")
        assert b.asset_list().items == () and b.asset_group_list().items == ()
        assert b.asset_quota().current_count == 0
        with pytest.raises(Exception, match="not found"):
            b.asset_get(asset)
        with pytest.raises(Exception, match="task_no_found"):
            b.mj_fetch(task.task_id)


def test_the_demo_simulator_fetches_only_our_signed_links(settings):
    settings.ZCHEAP_PUBLIC_BASE_URL = "http://127.0.0.1:8123"
    config = demo_config()
    assert config.fetch_prefixes == ("http://127.0.0.1:8123/p/",)
    from zcheap.simulator.server import app_for

    app = app_for(config)
    assert app.may_fetch("http://127.0.0.1:8123/p/token/ref.png")
    assert not app.may_fetch("http://127.0.0.1:6379/")
    assert not app.may_fetch("http://127.0.0.1:8123/admin/")


def test_keyless_teams_are_skipped_by_the_asset_sync_when_demo_mode_is_off(
    settings, team_a, caplog
):
    from assets.tasks import sync_all_teams

    settings.ZCHEAP_DEMO_MODE = False
    sync_all_teams.call()
    assert Team.objects.get(pk=team_a.pk).needs_key
    assert "asset sync failed" not in caplog.text  # skipped, not failed


def test_demo_mode_runs_every_midjourney_action_and_blend_end_to_end(make_generation):
    """The strict simulator still lets every flow finish (issue 10 'done when')."""
    grid = _grid(make_generation, "a harbour [sim:four-urls]")
    mask_upload = ReferenceUpload.objects.create(team=grid.team, content_type="image/png")
    mask_upload.file.save("mask.png", ContentFile(png_bytes((32, 32), (255, 255, 255))))
    children = [
        _child(grid, "upscale", 1),
        _child(grid, "variation", 2),
        _child(grid, "low_variation", 3),
        _child(grid, "high_variation", 4),
        _child(grid, "reroll", 1),
        _child(grid, "zoom", 1, scale=2.0),
        _child(grid, "custom_zoom", 2, scale=1.5),
        _child(grid, "pan", 3, direction="up", scale=1.5),
        _child(grid, "inpaint", 1, mask_upload=mask_upload.pk, remix_prompt="a boat"),
        _child(grid, "remix", 2, remix_prompt="a harbour at night", mode="subtle"),
    ]
    for child in children:
        child = drive(child, timeout=10)
        assert child.state == State.DONE, (child.action, child.error_message, child.upstream_error)
        assert child.items.count() == (1 if child.action == "upscale" else 4), child.action
    items = list(grid.items.order_by("index")[:2])
    blend = drive(
        make_generation(
            kind=Kind.MIDJOURNEY,
            action="blend",
            prompt="",
            params={"dimensions": "PORTRAIT", "reference_items": [i.pk for i in items]},
        ),
        timeout=10,
    )
    assert blend.state == State.DONE and blend.items.count() == 4


def test_a_keyless_team_is_told_to_add_a_key_when_demo_mode_is_off(settings, owner_a):
    settings.ZCHEAP_DEMO_MODE = False
    page = client_for(owner_a).get("/").content.decode()
    assert "data-needs-key" in page and "Demo mode" not in page
    settings.ZCHEAP_DEMO_MODE = True
    page = client_for(owner_a).get("/").content.decode()
    assert "data-needs-key" not in page and "Demo mode" in page
