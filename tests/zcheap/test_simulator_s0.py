"""The simulator answers like Zcheap's backend source (contract §0) by default; the forgiving
behaviour is an explicit option. The client tests for the same points are in test_contract_s0.py."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from PIL import Image

from tests.zcheap.conftest import wait_for
from zcheap import errors as e
from zcheap import types as t
from zcheap.client import ZcheapClient
from zcheap.simulator import SimConfig, SimulatorApp, running_simulator

PRO, FLASH = "gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"


def _raw(sim_url: str, method: str, path: str, key: str = "k", **kwargs) -> httpx.Response:
    return httpx.request(
        method, sim_url + path, headers={"Authorization": f"Bearer {key}"}, **kwargs
    )


def _size(url: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(httpx.get(url).content)).size


# --- Images -------------------------------------------------------------------------------
def test_flash_takes_512px_and_refuses_512_with_build_request_failed(sim_url, client):
    bad = _raw(
        sim_url,
        "POST",
        "/v1/images/generations",
        json={"model": FLASH, "prompt": "x", "size": "512"},
    )
    assert bad.status_code == 500 and bad.json()["code"] == "build_request_failed"
    assert client.create_image(t.ImageRequest(FLASH, "x", size="512px")).task_id
    with pytest.raises(e.InvalidRequestError, match="unsupported size"):
        client.create_image(t.ImageRequest(PRO, "x", size="512px"))


def test_ratios_follow_the_model(client):
    with pytest.raises(e.InvalidRequestError, match="aspect_ratio"):
        client.create_image(t.ImageRequest(PRO, "x", aspect_ratio="1:4"))
    assert client.create_image(t.ImageRequest(FLASH, "x", aspect_ratio="1:4")).task_id


def test_references_are_png_or_jpg_links_and_at_most_14(client):
    with pytest.raises(e.InvalidRequestError, match="webp"):
        client.create_image(t.ImageRequest(PRO, "x", images=("http://127.0.0.1:9/a.webp",)))
    with pytest.raises(e.InvalidRequestError, match="14"):
        client.create_image(
            t.ImageRequest(PRO, "x", images=tuple(f"http://h/{i}.png" for i in range(15)))
        )
    ok = ("http://127.0.0.1:9/a.png", "http://127.0.0.1:9/b.jpeg", "http://127.0.0.1:9/p/tok")
    assert client.create_image(t.ImageRequest(PRO, "x", images=ok)).task_id


def test_a_blank_prompt_is_a_400(sim_url):
    reply = _raw(sim_url, "POST", "/v1/images/generations", json={"model": PRO, "prompt": " "})
    assert reply.status_code == 400 and reply.json()["message"] == "prompt is required"


def test_a_failed_image_fetch_has_error_null_and_the_reason_in_url(sim_url, client):
    submit = client.create_image(t.ImageRequest(PRO, "doomed [sim:fail]"))
    wait_for(lambda: client.get_image(submit.task_id), lambda r: r.is_terminal)
    data = _raw(sim_url, "GET", f"/v1/images/generations/{submit.task_id}", key=client._api_key)
    body = data.json()["data"]
    assert body["error"] is None and body["format"] == "mp4" and "usage" not in body
    assert "failed" in body["url"]
    assert "failed" in client.get_image(submit.task_id).error_message


# --- 401/403 by shape ---------------------------------------------------------------------
def test_a_moderated_mj_prompt_is_youchuans_403_with_code_4(sim_url, client):
    reply = _raw(sim_url, "POST", "/mj/submit/imagine", json={"prompt": "x [sim:moderation]"})
    assert reply.status_code == 403 and reply.json()["code"] == 4 and reply.json()["result"] == ""
    with pytest.raises(e.ModerationError):
        client.mj_imagine("x [sim:moderation]")


def test_mj_balance_and_invalid_app_are_not_a_bad_key(client):
    with pytest.raises(e.QuotaError):
        client.mj_imagine("x [sim:quota]")
    with pytest.raises(e.UpstreamRefusedError):
        client.mj_imagine("x [sim:upstream-401]")


def test_the_gateways_own_401_is_a_bad_key(sim_url):
    with (
        ZcheapClient(sim_url, "invalid-key", max_retries=0) as bad,
        pytest.raises(e.AuthenticationError),
    ):
        bad.mj_imagine("x")
    reply = httpx.post(f"{sim_url}/v1/images/generations", json={"model": PRO, "prompt": "x"})
    assert reply.status_code == 401 and reply.json()["error"]["type"] == "new_api_error"


def test_mj_api_secret_works_on_every_route(sim_url):
    reply = httpx.post(
        f"{sim_url}/v1/images/generations",
        json={"model": PRO, "prompt": "x"},
        headers={"mj-api-secret": "k"},
    )
    assert reply.status_code == 200 and reply.json()["task_id"].startswith("task_")


def test_mj_routes_are_also_mounted_under_a_mode(sim_url):
    for mode in ("mj-fast", "mj-relax", "mj-turbo"):
        reply = _raw(sim_url, "POST", f"/{mode}/mj/submit/imagine", json={"prompt": "x"})
        assert reply.json()["code"] == 1


# --- Midjourney ---------------------------------------------------------------------------
def test_a_running_mj_task_has_the_youchuan_shape_and_the_proxy_answers_500(sim_url, client):
    submit = client.mj_imagine("slow [sim:late]")
    body = _raw(sim_url, "GET", f"/mj/task/{submit.task_id}/fetch", key=client._api_key).json()
    assert body["imageUrl"] == "" and "urls" not in body and "mj_id" not in body
    assert body["status"] == "" and body["buttons"] is None
    proxy = httpx.get(f"{sim_url}/mj/image/{submit.task_id}")
    assert proxy.status_code == 500 and proxy.json() == {"error": "http_get_image_failed"}
    unknown = httpx.get(f"{sim_url}/mj/image/nope")
    assert unknown.status_code == 400 and unknown.json() == {"error": "midjourney_task_not_found"}


def test_some_grids_come_back_as_one_url_and_some_as_four(client):
    one = client.mj_imagine("grid [sim:grid-url]")
    four = client.mj_imagine("grid [sim:four-urls]")
    one = wait_for(lambda: client.mj_fetch(one.task_id), lambda r: r.is_terminal)
    four = wait_for(lambda: client.mj_fetch(four.task_id), lambda r: r.is_terminal)
    assert len(one.urls) == 1 and one.single_url and len(four.urls) == 4
    grid, tile = _size(one.urls[0]), _size(four.urls[0])
    assert grid == (tile[0] * 2, tile[1] * 2)


def test_by_default_both_shapes_occur(tmp_path):
    app = SimulatorApp(SimConfig.fast(state_path=tmp_path / "s.db"))
    shapes = {app.single_grid_url({"id": str(i), "markers": ""}) for i in range(20)}
    assert shapes == {True, False}


def test_change_checks_no_index_upper_bound_and_drops_pan_direction(client):
    imagine = client.mj_imagine("a tower [sim:four-urls]")
    parent = wait_for(lambda: client.mj_fetch(imagine.task_id), lambda r: r.is_terminal)
    assert client.mj_change(t.MjChangeRequest(imagine.task_id, "VARIATION", 7)).task_id
    pan = client.mj_change(
        t.MjChangeRequest(imagine.task_id, "PAN", 1, direction=t.PAN_DIRECTIONS["left"], scale=2)
    )
    child = wait_for(lambda: client.mj_fetch(pan.task_id), lambda r: r.is_terminal)
    width, height = _size(child.urls[0])
    tile = _size(parent.urls[0])
    # Extended down (Go's zero direction), not left: the direction never reached Youchuan.
    assert height / width > tile[1] / tile[0] * 1.2


def test_change_prompt_is_replaced_by_the_parents(client):
    imagine = client.mj_imagine("a tower [sim:four-urls]")
    wait_for(lambda: client.mj_fetch(imagine.task_id), lambda r: r.is_terminal)
    remix = client.mj_change(t.MjChangeRequest(imagine.task_id, "REMIX", 1, prompt="a bridge"))
    child = wait_for(lambda: client.mj_fetch(remix.task_id), lambda r: r.is_terminal)
    assert "a bridge" not in child.final_prompt and "a tower" in child.prompt


def test_list_by_condition_with_non_array_ids_is_a_400(sim_url):
    reply = _raw(sim_url, "POST", "/mj/task/list-by-condition", json={"ids": "x"})
    assert reply.status_code == 400 and reply.json()["error"].startswith("do_request_failed")


# --- Video --------------------------------------------------------------------------------
def test_video_metadata_error_and_amount(sim_url, client):
    running = client.create_video(t.VideoRequest("ima-pro", "tea [sim:late]"))
    body = _raw(sim_url, "GET", f"/v1/videos/{running.task_id}", key=client._api_key).json()
    assert body["metadata"] == {"url": ""} and "completed_at" not in body
    failed = client.create_video(t.VideoRequest("ima-pro", "tea [sim:fail]"))
    task = wait_for(lambda: client.get_video(failed.task_id), lambda r: r.is_terminal)
    assert task.error_code == "task_failed" and task.error_message and task.url == ""
    done = client.create_video(t.VideoRequest("ima-pro", "tea", duration=4))
    task = wait_for(lambda: client.get_video(done.task_id), lambda r: r.is_terminal)
    assert task.status == "completed" and task.amount_usd and task.amount_usd > 0


def test_an_image_fetch_finds_a_video_task_too(client):
    """§0: a fetch finds any task by id; a video id answers on the image route, in its shape."""
    video = client.create_video(t.VideoRequest("ima-pro", "tea", duration=4))
    done = wait_for(lambda: client.get_video(video.task_id), lambda r: r.is_terminal)
    assert done.status == "completed"
    fetched = client.get_image(video.task_id)
    assert fetched.status == "succeeded" and fetched.url.startswith("http")
    with pytest.raises(e.ZcheapError):
        client.get_image("no-such-task")


def test_video_content_route_errors(sim_url, client):
    unknown = _raw(sim_url, "GET", "/v1/videos/task_nope/content", key=client._api_key)
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(e.NotFoundError):
        client.get_video_content("task_nope")
    running = client.create_video(t.VideoRequest("ima-pro", "tea [sim:late]"))
    with pytest.raises(e.NotReadyError):
        client.get_video_content(running.task_id)


def test_fast_video_allows_480p_and_720p_but_not_1080p(client):
    for resolution in ("480p", "720p"):
        assert client.create_video(t.VideoRequest("ima-pro-fast", "x", resolution=resolution))
    with pytest.raises(e.InvalidRequestError, match="480p and 720p"):
        client.create_video(t.VideoRequest("ima-pro-fast", "x", resolution="1080p"))


# --- Assets -------------------------------------------------------------------------------
def test_group_list_passes_the_total_count_and_an_empty_body_is_eof(sim_url, client):
    for name in ("a", "b", "c"):
        client.asset_group_create(name)
    page = client.asset_group_list(page_size=1)
    assert len(page.items) == 1 and page.total_count == 3
    reply = _raw(sim_url, "POST", "/v1/assets/quota", content=b"")
    assert reply.status_code == 200 and reply.json() == {"success": False, "message": "EOF"}


# --- Accounts (issue 11 item 4) -----------------------------------------------------------
def test_each_key_is_its_own_account(sim_url):
    keys = [f"team-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    with ZcheapClient(sim_url, keys[0]) as a, ZcheapClient(sim_url, keys[1], max_retries=0) as b:
        group = a.asset_group_create("mine")
        asset = a.asset_create(group.id, "https://example.com/p.jpg")
        image = a.create_image(t.ImageRequest(PRO, "x"))
        mj = a.mj_imagine("x")
        assert b.asset_list().items == () and b.asset_group_list().items == ()
        assert b.asset_quota().current_count == 0 and a.asset_quota().current_count == 1
        for call in (
            lambda: b.asset_get(asset),
            lambda: b.asset_delete(asset),
            lambda: b.get_image(image.task_id),
            lambda: b.mj_fetch(mj.task_id),
        ):
            with pytest.raises(e.NotFoundError):
                call()
        assert b.mj_fetch_many([mj.task_id]) == []
        assert a.asset_get(asset).id == asset


# --- Lenient only when asked; fetching only allowed links (issue 11 item 3) ----------------
def test_the_lenient_simulator_is_an_explicit_option(tmp_path):
    config = SimConfig.lenient(state_path=tmp_path / "lenient.db")
    with running_simulator(config) as url, ZcheapClient(url, "k") as client:
        assert client.create_image(t.ImageRequest(FLASH, "x", size="512")).task_id
        imagine = client.mj_imagine("x [sim:late]")  # still running when fetched
        body = httpx.get(
            f"{url}/mj/task/{imagine.task_id}/fetch", headers={"Authorization": "Bearer k"}
        ).json()
        assert body["mj_id"] == imagine.task_id and body["urls"] == []
    assert SimConfig().strict and SimConfig.fast().strict and SimConfig.demo().strict


def test_the_simulator_fetches_only_allowed_links(tmp_path):
    ours = "http://127.0.0.1:8000/media/p/"
    app = SimulatorApp(SimConfig.fast(state_path=tmp_path / "s.db", fetch_prefixes=(ours,)))
    assert app.may_fetch(ours + "token.png")
    for url in (
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/a.png",
        "file:///etc/passwd",
    ):
        assert not app.may_fetch(url), url


def test_a_reference_link_is_fetched_once_however_many_pictures_use_it(tmp_path):
    """Issue 11 item 3: one blend with two links made eight fetches."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 90, 200)).save(out, format="PNG")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(out.getvalue())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/p/"
        config = SimConfig.fast(state_path=tmp_path / "s.db", fetch_prefixes=(base,))
        with running_simulator(config) as url, ZcheapClient(url, "k") as client:
            blend = client.mj_blend([base + "a/ref.png", base + "b/ref.png"])
            done = wait_for(lambda: client.mj_fetch(blend.task_id), lambda r: r.is_terminal)
            for result in done.urls:
                httpx.get(result)
        assert sorted(hits) == ["/p/a/ref.png", "/p/b/ref.png"]
    finally:
        server.shutdown()
        server.server_close()


def test_a_realtime_image_answer_has_no_usage_and_still_works(sim_url, client):
    submit = client.create_image(t.ImageRequest(PRO, "x [sim:realtime]"))
    task = wait_for(lambda: client.get_image(submit.task_id), lambda r: r.is_terminal)
    assert task.status == "succeeded" and task.url and task.usage == {}
    body = _raw(sim_url, "GET", f"/v1/images/generations/{submit.task_id}", key=client._api_key)
    assert body.json()["data"]["format"] == "mp4" and "usage" not in body.json()["data"]


# --- Money: billing routes ----------------------------------------------------------------
def test_billing_routes_answer_per_account_and_refuse_a_bad_key(tmp_path):
    config = SimConfig.fast(
        state_path=tmp_path / "s.db", account_limit_usd=40.0, empty_keys=("sk-spent-all-0001",)
    )
    with running_simulator(config) as url:
        sub = _raw(url, "GET", "/v1/dashboard/billing/subscription", key="sk-fresh-0001")
        assert sub.status_code == 200 and sub.json()["object"] == "billing_subscription"
        assert sub.json()["hard_limit_usd"] == 40.0
        assert _raw(url, "GET", "/dashboard/billing/usage", key="x").json()["total_usage"] == 0
        with ZcheapClient(url, "sk-spent-all-0001", max_retries=0) as spent:
            left = t.remaining_balance(spent.billing_subscription(), spent.billing_usage())
            assert left == 0
            with pytest.raises(e.QuotaError):  # its submits are refused for quota too
                spent.create_image(t.ImageRequest(PRO, "a cat"))
        bad = _raw(url, "GET", "/v1/dashboard/billing/subscription", key="invalid-key")
        assert bad.status_code == 401 and bad.json()["error"]["type"] == "new_api_error"
