"""The client fed the contract's own example replies (fixtures), and its retry policy.

These do not use the simulator, so a mistake copied into both client and simulator still fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from zcheap import errors as e
from zcheap import types as t
from zcheap.client import ZcheapClient

EXAMPLES = json.loads((Path(__file__).parent / "fixtures" / "contract_examples.json").read_text())
KEY = "sk-secret-do-not-leak-42"


def client_answering(
    status: int, example: str | bytes, headers: dict | None = None, seen: list | None = None
):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        body = example if isinstance(example, bytes) else json.dumps(EXAMPLES[example]).encode()
        return httpx.Response(
            status, content=body, headers=headers or {"Content-Type": "application/json"}
        )

    return ZcheapClient(
        "https://zcheap.example", KEY, transport=httpx.MockTransport(handler), backoff=0.001
    )


def test_it_parses_the_image_submit_and_fetch_examples():
    assert (
        client_answering(200, "image_submit")
        .create_image(t.ImageRequest("m", "p"))
        .task_id.startswith("task_Ab12")
    )
    task = client_answering(200, "image_fetch_succeeded").get_image("task_Ab12")
    assert (task.status, task.url, task.usage["total_tokens"]) == (
        "succeeded",
        "https://cdn.example.com/out.png",
        1514,
    )


def test_it_does_not_trust_format_or_usage_while_running():
    task = client_answering(200, "image_fetch_running_live").get_image("task_Ab12")
    assert task.status == "processing" and task.usage == {} and not task.is_terminal


def test_it_accepts_the_synchronous_image_reply():
    submit = client_answering(200, "image_sync_reply").create_image(t.ImageRequest("m", "p"))
    assert (
        submit.immediate.status == "succeeded"
        and submit.immediate.url == "https://cdn.example.com/a.png"
    )


def test_it_parses_the_video_examples():
    assert (
        client_answering(200, "video_submit").create_video(t.VideoRequest("ima-pro", "x")).task_id
        == "task_Zx"
    )
    done = client_answering(200, "video_completed").get_video("task_Zx")
    assert (
        done.status == "completed" and done.results[0].width == 1280 and done.url.endswith("v.mp4")
    )
    failed = client_answering(200, "video_failed_without_error").get_video("task_Zx")
    assert failed.status == "failed" and failed.error_message == ""
    assert client_answering(200, "video_unknown").get_video("task_Zx").status == "queued"


def test_it_parses_the_mj_examples():
    assert client_answering(200, "mj_submit").mj_imagine("x").task_id == "yc-job-0001"
    assert client_answering(200, "mj_submit_queued_code").mj_imagine("x").task_id == "yc-job-0002"
    task = client_answering(200, "mj_fetch_success").mj_fetch("yc-job-0001")
    assert task.succeeded and len(task.urls) == 4 and task.progress == 100
    old = client_answering(200, "mj_fetch_old_mj_id").mj_fetch("yc-job-0003")
    assert old.task_id == "yc-job-0003" and old.progress == 50 and not old.is_terminal
    upscale = client_answering(200, "mj_fetch_success_without_urls").mj_fetch("yc-job-0004")
    assert upscale.urls == ("https://cdn.example.com/u.png",)


def test_it_parses_the_asset_examples():
    assert (
        client_answering(200, "asset_group_create").asset_group_create("cast-a").id
        == "group-20260101120000-ab12c"
    )
    assert client_answering(200, "asset_create").asset_create("g", "https://x").startswith("asset-")
    assert client_answering(200, "asset_get").asset_get("asset-x").status == "Active"
    assert client_answering(200, "asset_quota").asset_quota().remaining == 497


@pytest.mark.parametrize(
    ("status", "example", "error"),
    [
        (400, "task_not_exist", e.NotFoundError),
        (500, "build_request_failed", e.InvalidRequestError),
        (400, "mj_not_found", e.NotFoundError),
        (400, "mj_sensitive", e.ModerationError),
        (429, "mj_saturated", e.RateLimitedError),
        (401, "auth_error", e.AuthenticationError),
        (200, "asset_group_not_found", e.AssetNotFoundError),
        (200, "asset_quota_exceeded", e.AssetQuotaError),
        (200, "asset_disabled", e.AssetError),
    ],
)
def test_it_maps_the_contract_error_examples(status, example, error):
    client = client_answering(status, example)
    call = {
        "task_not_exist": lambda: client.get_image("x"),
        "build_request_failed": lambda: client.create_video(t.VideoRequest("ima-pro", "x")),
        "mj_not_found": lambda: client.mj_fetch("x"),
        "mj_sensitive": lambda: client.mj_imagine("x"),
        "mj_saturated": lambda: client.mj_imagine("x"),
        "auth_error": lambda: client.get_video("x"),
    }.get(example, lambda: client.asset_group_get("g"))
    with pytest.raises(error) as info:
        call()
    assert KEY not in str(info.value) + repr(info.value)


def test_it_retries_fetches_on_503_then_succeeds():
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        if calls["n"] < 3:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json=EXAMPLES["image_fetch_succeeded"])

    client = ZcheapClient(
        "https://z.example", KEY, transport=httpx.MockTransport(handler), backoff=0.001
    )
    assert client.get_image("task_Ab12").status == "succeeded"
    assert calls["n"] == 3


def test_it_honours_retry_after(monkeypatch):
    sleeps = []
    monkeypatch.setattr("zcheap.client.time.sleep", sleeps.append)
    answers = iter(
        [
            httpx.Response(
                429, headers={"Retry-After": "7"}, json={"code": "x", "message": "busy"}
            ),
            httpx.Response(200, json=EXAMPLES["image_fetch_succeeded"]),
        ]
    )
    client = ZcheapClient(
        "https://z.example", KEY, transport=httpx.MockTransport(lambda r: next(answers))
    )
    client.get_image("task_Ab12")
    assert sleeps == [7.0]


def test_it_never_repeats_a_submit_answered_with_500():
    seen = []
    client = client_answering(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}, seen)
    with pytest.raises(e.AmbiguousSubmitError):
        client.create_image(t.ImageRequest("m", "p"))
    assert len(seen) == 1


def test_it_never_repeats_a_submit_that_timed_out_after_sending():
    seen = []

    def handler(request):
        seen.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    client = ZcheapClient(
        "https://z.example", KEY, transport=httpx.MockTransport(handler), backoff=0.001
    )
    with pytest.raises(e.AmbiguousSubmitError) as info:
        client.mj_imagine("x")
    assert len(seen) == 1
    assert "not sent again" in str(info.value.user_message)


def test_it_may_repeat_a_submit_whose_connection_never_opened():
    attempts = iter([httpx.ConnectError("refused"), None])

    def handler(request):
        error = next(attempts)
        if error:
            raise error
        return httpx.Response(200, json=EXAMPLES["mj_submit"])

    client = ZcheapClient(
        "https://z.example", KEY, transport=httpx.MockTransport(handler), backoff=0.001
    )
    assert client.mj_imagine("x").task_id == "yc-job-0001"


def test_it_sends_bearer_auth_a_user_agent_and_strips_a_double_v1():
    seen = []
    client = ZcheapClient(
        "https://z.example/v1",
        KEY,
        transport=httpx.MockTransport(
            lambda r: seen.append(r) or httpx.Response(200, json=EXAMPLES["video_completed"])
        ),
    )
    client.get_video("task_Zx")
    assert str(seen[0].url) == "https://z.example/v1/videos/task_Zx"
    assert seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert seen[0].headers["User-Agent"].startswith("ZcheapStudio/")
    assert KEY not in repr(client)


def test_it_sends_one_reference_as_image_and_several_as_images():
    assert "image" in t.ImageRequest("m", "p", images=("a",)).to_json()
    body = t.ImageRequest("m", "p", images=("a", "b")).to_json()
    assert body["images"] == ["a", "b"] and "image" not in body


def test_it_rejects_a_succeeded_task_without_url_as_malformed():
    broken = {"code": "success", "data": {"task_id": "t", "status": "succeeded", "url": ""}}
    client = ZcheapClient(
        "https://z.example",
        KEY,
        max_retries=0,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=broken)),
    )
    with pytest.raises(e.MalformedResponseError):
        client.get_image("t")


def test_a_cookie_set_by_the_gateway_is_neither_kept_nor_sent_back():
    """Zcheap authenticates by key; a Set-Cookie (a CDN or load balancer in front of it) must not
    follow the client's later calls (and keeping cookies cost CPU on every poll)."""
    seen: list = []
    client = client_answering(
        200,
        "image_fetch_succeeded",
        headers={"Content-Type": "application/json", "Set-Cookie": "lb=node7; Path=/"},
        seen=seen,
    )
    client.get_image("task_Ab12")
    client.get_image("task_Ab12")
    assert len(seen) == 2
    assert "cookie" not in seen[1].headers
