"""The client against the simulator over real loopback HTTP: every endpoint, every error class."""

from __future__ import annotations

import asyncio
import base64
import io

import httpx
import pytest
from PIL import Image

from gallery.generation.worker import run_async
from tests.zcheap.conftest import wait_for
from zcheap import errors as e
from zcheap import types as t
from zcheap.client import AsyncZcheapClient, ZcheapClient

GEMINI = "gemini-3-pro-image-preview"


def _png_size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_it_creates_and_fetches_an_image_task(client):
    submit = client.create_image(
        t.ImageRequest(GEMINI, "a red fox", aspect_ratio="16:9", size="1K")
    )
    assert submit.task_id.startswith("task_") and len(submit.task_id) == 37
    assert submit.status in {"", "queued"}
    task = wait_for(lambda: client.get_image(submit.task_id), lambda r: r.is_terminal)
    assert task.status == "succeeded" and task.url
    width, height = _png_size(httpx.get(task.url).content)
    assert width > height  # 16:9 really is landscape


def test_it_sees_the_image_quirk_statuses_before_success(client):
    submit = client.create_image(t.ImageRequest(GEMINI, "quirks [sim:late]"))
    seen = {client.get_image(submit.task_id).status for _ in range(8)}
    assert seen <= {"queued", "processing"}


def test_it_reports_a_failed_image_with_the_upstream_reason(client):
    submit = client.create_image(t.ImageRequest(GEMINI, "doomed [sim:fail]"))
    task = wait_for(lambda: client.get_image(submit.task_id), lambda r: r.is_terminal)
    assert task.status == "failed" and "failed" in task.error_message


def test_it_creates_a_video_and_reads_progress_then_the_result(client):
    submit = client.create_video(
        t.VideoRequest("ima-pro", "tea cup", duration=4, aspect_ratio="9:16", resolution="480p")
    )
    first = client.get_video(submit.task_id)
    assert first.status in {"queued", "in_progress"}
    task = wait_for(lambda: client.get_video(submit.task_id), lambda r: r.is_terminal)
    assert task.status == "completed" and task.progress == 100
    assert task.results[0].height > task.results[0].width
    content = client.get_video_content(submit.task_id)
    assert content[4:8] == b"ftyp"  # a real MP4


def test_it_enforces_the_video_rules(client):
    with pytest.raises(e.InvalidRequestError, match="frame mode"):
        client.create_video(t.VideoRequest("ima-pro", "x", role_mode="frame"))
    with pytest.raises(e.InvalidRequestError, match="prompt is required"):
        client.create_video(t.VideoRequest("ima-pro-fast"))
    with pytest.raises(e.InvalidRequestError, match="invalid_model_endpoint|not a video model"):
        client.create_video(t.VideoRequest(GEMINI, "x"))


def test_it_runs_midjourney_imagine_and_every_change_action(client):
    imagine = client.mj_imagine("a castle --ar 3:2 [sim:four-urls]")
    parent = wait_for(lambda: client.mj_fetch(imagine.task_id), lambda r: r.is_terminal)
    assert parent.succeeded and len(parent.urls) == 4 and parent.progress == 100
    upscale = client.mj_change(t.MjChangeRequest(imagine.task_id, "UPSCALE", 2))
    zoom = client.mj_change(t.MjChangeRequest(imagine.task_id, "ZOOM", 1, scale=2.0))
    pan = client.mj_change(
        t.MjChangeRequest(imagine.task_id, "PAN", 3, direction=t.PAN_DIRECTIONS["left"])
    )
    mask = base64.b64encode(_mask_png()).decode()
    inpaint = client.mj_change(
        t.MjChangeRequest(imagine.task_id, "INPAINT", 1, mask_base64=mask, prompt="a dragon")
    )
    remix = client.mj_change(
        t.MjChangeRequest(imagine.task_id, "REMIX", 4, prompt="at night", mode="strong")
    )
    reroll = client.mj_change(t.MjChangeRequest(imagine.task_id, "REROLL", 1))
    by_action = client.mj_fetch_many([upscale.task_id, zoom.task_id, pan.task_id])
    assert [task.action for task in by_action] == ["UPSCALE", "ZOOM", "PAN"]
    for submit in (upscale, zoom, pan, inpaint, remix, reroll):
        child = wait_for(lambda s=submit: client.mj_fetch(s.task_id), lambda r: r.is_terminal)
        assert child.succeeded, child
    up = client.mj_fetch(upscale.task_id)
    assert len(up.urls) == 1
    quadrant = _png_size(httpx.get(parent.urls[1]).content)
    assert _png_size(httpx.get(up.urls[0]).content) == (quadrant[0] * 2, quadrant[1] * 2)
    zoomed = _png_size(httpx.get(client.mj_fetch(zoom.task_id).urls[0]).content)
    assert zoomed[0] > quadrant[0] and zoomed[1] > quadrant[1]


def _mask_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (64, 64), 255).save(out, format="PNG")
    return out.getvalue()


def test_it_refuses_change_actions_the_server_refuses(client):
    running = client.mj_imagine("slow one [sim:late]")
    with pytest.raises(e.InvalidRequestError, match="task_status_not_success"):
        client.mj_change(t.MjChangeRequest(running.task_id, "UPSCALE", 1))
    with pytest.raises(e.InvalidRequestError, match="task_not_found"):
        client.mj_change(t.MjChangeRequest("nope", "UPSCALE", 1))
    done = client.mj_imagine("finished")
    wait_for(lambda: client.mj_fetch(done.task_id), lambda r: r.is_terminal)
    with pytest.raises(e.InvalidRequestError, match="index_is_required"):
        client.mj_change(t.MjChangeRequest(done.task_id, "REROLL", 0))


def test_it_maps_button_custom_ids_to_actions(client):
    imagine = client.mj_imagine("buttons")
    wait_for(lambda: client.mj_fetch(imagine.task_id), lambda r: r.is_terminal)
    submit = client.mj_action(imagine.task_id, "MJ::JOB::upsample::3::abc")
    assert client.mj_fetch(submit.task_id).action == "UPSCALE"
    with pytest.raises(e.InvalidRequestError, match="unknown_action"):
        client.mj_action(imagine.task_id, "MJ::BOOKMARK::abc")


def test_it_blends_two_to_five_images(client):
    imagine = client.mj_imagine("sources [sim:four-urls]")
    parent = wait_for(lambda: client.mj_fetch(imagine.task_id), lambda r: r.is_terminal)
    blend = client.mj_blend(parent.urls[:2], dimensions="PORTRAIT")
    done = wait_for(lambda: client.mj_fetch(blend.task_id), lambda r: r.is_terminal)
    width, height = _png_size(httpx.get(done.urls[0]).content)
    assert height > width
    with pytest.raises(e.InvalidRequestError):
        client.mj_blend(parent.urls[:1])


def test_it_fetches_the_mj_image_proxy_without_a_key(sim_url, client):
    imagine = client.mj_imagine("proxy")
    wait_for(lambda: client.mj_fetch(imagine.task_id), lambda r: r.is_terminal)
    with ZcheapClient(sim_url, "") as anonymous:
        assert anonymous.mj_image(imagine.task_id)[:4] == b"\x89PNG"
        with pytest.raises(e.AuthenticationError):
            anonymous.mj_fetch(imagine.task_id)


def test_it_accepts_the_mj_api_secret_header(sim_url):
    response = httpx.post(
        f"{sim_url}/mj/submit/imagine", json={"prompt": "x"}, headers={"mj-api-secret": "k"}
    )
    assert response.json()["code"] == 1


def test_it_manages_asset_groups_and_assets(client):
    group = client.asset_group_create("cast-a", description="heroes")
    assert group.id.startswith("group-") and group.group_type == "AIGC"
    assert client.asset_group_update(group.id, name="cast-b") == group.id
    assert client.asset_group_get(group.id).name == "cast-b"
    assert group.id in [g.id for g in client.asset_group_list(name="cast-b").items]
    asset_id = client.asset_create(
        group.id, "https://example.com/p.jpg", name="hero", asset_type="Image"
    )
    assert client.asset_get(asset_id).status == "Processing"
    active = wait_for(lambda: client.asset_get(asset_id), lambda a: a.status != "Processing")
    assert active.status == "Active"
    assert client.asset_update(asset_id, "hero-2") == asset_id
    page = client.asset_list(group_ids=[group.id], statuses=["Active"])
    assert [a.name for a in page.items] == ["hero-2"] and page.total_count == 1
    assert client.asset_delete(asset_id) is True
    with pytest.raises(e.AssetNotFoundError):
        client.asset_get(asset_id)


def test_it_reports_a_failed_asset_review(client):
    group = client.asset_group_create("review")
    asset_id = client.asset_create(
        group.id, "https://example.com/x.jpg", name="bad [sim:asset-fail]"
    )
    failed = wait_for(lambda: client.asset_get(asset_id), lambda a: a.status != "Processing")
    assert failed.status == "Failed" and "review" in failed.error_message


def test_it_turns_success_false_replies_into_asset_errors(client):
    with pytest.raises(e.AssetNotFoundError):
        client.asset_group_get("group-missing")
    with pytest.raises(e.AssetError, match="required"):
        client.asset_group_create("")
    with pytest.raises(e.AssetError, match="not available"):
        client.asset_group_create("x", model="nope")


def test_it_counts_quota_and_refuses_past_the_limit(client):
    group = client.asset_group_create("quota")
    quota = client.asset_quota()
    with pytest.raises(e.AssetQuotaError, match="exceeds max limit 5"):
        for i in range(quota.remaining + 1):
            client.asset_create(group.id, f"https://example.com/{i}.jpg")
    assert client.asset_quota().remaining == 0


@pytest.mark.parametrize(
    ("marker", "error"),
    [
        ("moderation", e.ModerationError),
        ("invalid", e.InvalidRequestError),
        ("401", e.AuthenticationError),
        ("quota", e.QuotaError),
        ("429", e.RateLimitedError),
        ("500", e.AmbiguousSubmitError),
        ("502", e.AmbiguousSubmitError),
        ("malformed", e.AmbiguousSubmitError),
    ],
)
def test_every_injected_submit_failure_maps_to_its_error_class(client, marker, error):
    with pytest.raises(error) as info:
        client.create_image(t.ImageRequest(GEMINI, f"x [sim:{marker}]"))
    assert "sk-test-key-0001" not in repr(info.value) + str(info.value)
    assert str(info.value.user_message)


def test_it_reports_a_hanging_submit_as_ambiguous_and_does_not_repeat_it(sim_url):
    stats = httpx.get(f"{sim_url}/__sim__/stats").json()["submits"].get("image", 0)
    with (
        ZcheapClient(sim_url, "k", timeout=0.3, max_retries=3) as impatient,
        pytest.raises(e.AmbiguousSubmitError),
    ):
        impatient.create_image(t.ImageRequest(GEMINI, "x [sim:hang]"))
    assert httpx.get(f"{sim_url}/__sim__/stats").json()["submits"]["image"] == stats + 1


def test_it_retries_a_flaky_fetch_until_it_works(sim_url):
    with ZcheapClient(sim_url, "k", max_retries=3, backoff=0.01) as patient:
        submit = patient.create_image(t.ImageRequest(GEMINI, "x [sim:poll-500]"))
        assert patient.get_image(submit.task_id).status in {"queued", "processing", "succeeded"}
        other = patient.create_image(t.ImageRequest(GEMINI, "y [sim:poll-malformed]"))
        assert patient.get_image(other.task_id).task_id == other.task_id


def test_it_does_not_know_unknown_tasks(client):
    for call in (
        lambda: client.get_image("task_x"),
        lambda: client.get_video("task_x"),
        lambda: client.mj_fetch("x"),
    ):
        with pytest.raises(e.NotFoundError):
            call()


def test_a_result_url_can_expire(client):
    submit = client.create_image(t.ImageRequest(GEMINI, "x [sim:expire]"))
    task = wait_for(lambda: client.get_image(submit.task_id), lambda r: r.is_terminal)
    assert httpx.get(task.url).status_code == 200
    expired = wait_for(lambda: httpx.get(task.url).status_code, lambda code: code == 404, timeout=4)
    assert expired == 404


def test_the_async_client_polls_many_tasks_with_bounded_concurrency(sim_url):
    async def run():
        async with AsyncZcheapClient(sim_url, "k", max_concurrency=8) as aclient:
            submits = await asyncio.gather(
                *(aclient.create_image(t.ImageRequest(GEMINI, f"n{i}")) for i in range(12))
            )
            tasks = await asyncio.gather(*(aclient.get_image(s.task_id) for s in submits))
        return submits, tasks

    submits, tasks = run_async(run())
    assert {task.task_id for task in tasks} == {s.task_id for s in submits}
