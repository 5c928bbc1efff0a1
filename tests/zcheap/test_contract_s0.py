"""Contract §0 (second audit against the backend source): the client fed replies shaped like the
real ones. Each test names its §0 point; the matching simulator test is in test_simulator_s0.py."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.zcheap.test_client_contract import EXAMPLES, client_answering
from zcheap import errors as e
from zcheap import types as t
from zcheap.client import ZcheapClient


def _sent_body(request: t.ImageRequest | t.MjChangeRequest) -> dict:
    return json.loads(json.dumps(request.to_json()))


# --- Images -------------------------------------------------------------------------------
def test_flash_small_size_is_sent_as_512px():
    assert _sent_body(t.ImageRequest("gemini-3.1-flash-image-preview", "p", size="512"))[
        "size"
    ] == ("512px")
    assert _sent_body(t.ImageRequest("m", "p", size="2K"))["size"] == "2K"


def test_a_build_request_failed_500_is_a_refused_request_not_a_retry():
    with pytest.raises(e.InvalidRequestError, match="unsupported size"):
        client_answering(500, "s0_image_build_failed_size").create_image(t.ImageRequest("m", "p"))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://x.example/a.png", True),
        ("https://x.example/a.JPG", True),
        ("https://x.example/p/token", True),
        ("https://x.example/a.webp", False),
        ("https://x.example/a.gif?sig=1", False),
    ],
)
def test_reference_links_must_end_in_png_or_jpg_or_nothing(url, ok):
    assert t.reference_extension_ok(url) is ok


def test_a_failed_realtime_fetch_gives_the_reason_from_url():
    task = client_answering(200, "s0_image_fetch_failed_realtime").get_image("task_Ab12")
    assert task.status == "failed" and task.url == "" and task.urls == ()
    assert task.error_message.startswith("content policy violation")


def test_a_succeeded_realtime_fetch_without_usage_still_has_its_url():
    task = client_answering(200, "s0_image_fetch_succeeded_realtime").get_image("task_Ab12")
    assert task.status == "succeeded" and task.url.endswith("out.png") and task.usage == {}


# --- 401/403 by body shape ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "example", "error"),
    [
        (401, "auth_error", e.AuthenticationError),
        (403, "s0_gateway_banned_403", e.AuthenticationError),
        (403, "s0_youchuan_sensitive_403", e.ModerationError),
        (402, "s0_youchuan_balance_402", e.QuotaError),
        (401, "s0_youchuan_invalid_app_401", e.UpstreamRefusedError),
        (403, "s0_task_upstream_403", e.UpstreamRefusedError),
    ],
)
def test_401_and_403_mean_a_bad_key_only_in_the_gateways_shape(status, example, error):
    with pytest.raises(error) as info:
        client_answering(status, example).mj_imagine("a fox")
    assert type(info.value) is error  # never a bad-key message for an upstream refusal
    if error is not e.AuthenticationError:
        assert "API key" not in str(info.value.user_message) or "fine" in str(
            info.value.user_message
        )


# --- Midjourney ---------------------------------------------------------------------------
def test_a_running_mj_task_has_no_urls_and_an_empty_image_url():
    task = client_answering(200, "s0_mj_fetch_running").mj_fetch("yc-job-0009")
    assert task.task_id == "yc-job-0009" and task.status == "" and task.progress == 50
    assert task.urls == () and not task.is_terminal and not task.single_url


def test_a_grid_may_come_back_as_one_url():
    task = client_answering(200, "s0_mj_fetch_single_url").mj_fetch("yc-job-0010")
    assert task.succeeded and task.single_url and task.urls == ("https://cdn.example.com/grid.png",)


def test_the_image_proxy_before_success_is_a_temporary_failure():
    with pytest.raises(e.TransientError):
        client_answering(500, "s0_mj_proxy_running").mj_image("yc-job-0009")


def test_change_parameters_are_sent_in_every_form_a_gateway_may_read():
    pan = _sent_body(t.MjChangeRequest("yc-1", "PAN", 2, direction=3, scale=1.5))
    assert pan["direction"] == 3 and pan["scale"] == 1.5
    assert pan["customId"] == "MJ::JOB::pan_left::2::yc-1::SOLO"
    zoom = _sent_body(t.MjChangeRequest("yc-1", "ZOOM", 1, scale=2.0, base_prompt="a fox"))
    assert zoom["prompt"] == "a fox --zoom 2" and zoom["customId"].startswith("MJ::Outpaint::50")
    remix = _sent_body(t.MjChangeRequest("yc-1", "REMIX", 4, prompt="at night", mode="subtle"))
    assert remix["prompt"] == remix["remixPrompt"] == "at night" and remix["mode"] == "subtle"
    upscale = _sent_body(t.MjChangeRequest("yc-1", "UPSCALE", 1))
    assert upscale == {"taskId": "yc-1", "action": "UPSCALE", "index": 1}


# --- Video --------------------------------------------------------------------------------
def test_a_running_video_with_an_empty_metadata_url():
    task = client_answering(200, "s0_video_running").get_video("task_Zx")
    assert task.status == "in_progress" and task.url == "" and task.error_message == ""


def test_a_failed_video_reports_its_reason_not_a_url():
    task = client_answering(200, "s0_video_failed").get_video("task_Zx")
    assert task.status == "failed" and task.url == ""
    assert (task.error_code, task.error_message) == ("task_failed", "暂不支持人像")
    bare = client_answering(200, "s0_video_failed_metadata_only").get_video("task_Zx")
    assert bare.error_message == "Error 601400" and bare.url == ""


def test_a_completed_video_carries_what_it_cost():
    task = client_answering(200, "s0_video_completed_amount").get_video("task_Zx")
    assert task.amount_usd == pytest.approx(0.42)
    assert client_answering(200, "video_completed").get_video("task_Zx").amount_usd is None


@pytest.mark.parametrize(
    ("status", "example", "error"),
    [
        (404, "s0_video_content_not_found", e.NotFoundError),
        (400, "s0_video_content_not_ready", e.NotReadyError),
        (502, "s0_video_content_upstream", e.TransientError),
    ],
)
def test_the_video_content_route_errors_are_understood(status, example, error):
    with pytest.raises(error):
        client_answering(status, example).get_video_content("task_Zx")


def test_not_ready_content_may_be_fetched_again_later():
    assert e.NotReadyError.retryable and not e.NotFoundError.retryable


def test_fast_video_at_1080p_is_a_refused_request():
    with pytest.raises(e.InvalidRequestError, match="480p and 720p"):
        client_answering(400, "s0_fast_1080p").create_video(
            t.VideoRequest("ima-pro-fast", "x", resolution="1080p")
        )


# --- Assets -------------------------------------------------------------------------------
def test_an_eof_asset_reply_is_an_asset_error():
    with pytest.raises(e.AssetError, match="EOF"):
        client_answering(200, "s0_asset_eof").asset_quota()


def test_group_list_total_count_is_passed_through():
    page = client_answering(200, "s0_group_list_total").asset_group_list(page_size=1)
    assert page.total_count == 7 and len(page.items) == 1


def test_the_client_always_sends_a_json_body_on_asset_routes():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=EXAMPLES["asset_quota"])

    with ZcheapClient("https://z.example", "k", transport=httpx.MockTransport(handler)) as c:
        c.asset_quota()
    assert seen[0].content == b"{}"  # never an empty body (the backend answers EOF)


# --- Money: the billing routes (also the key check before a team goes live) ----------------
def test_billing_subscription_and_usage_give_the_remaining_balance():
    seen: list[httpx.Request] = []
    subscription = client_answering(
        200, "s0_billing_subscription", seen=seen
    ).billing_subscription()
    used = client_answering(200, "s0_billing_usage").billing_usage()
    assert seen[0].method == "GET" and seen[0].url.path == "/v1/dashboard/billing/subscription"
    assert seen[0].headers["Authorization"].startswith("Bearer ")
    assert subscription.hard_limit == 25.5 and not subscription.unlimited
    assert t.remaining_balance(subscription, used) == pytest.approx(13.0)  # usage is in cents
    unlimited = client_answering(200, "s0_billing_subscription_unlimited").billing_subscription()
    assert unlimited.unlimited


def test_a_billing_error_arrives_as_http_200_and_is_raised():
    with pytest.raises(e.TransientError, match="record not found"):
        client_answering(200, "s0_billing_error").billing_subscription()


def test_a_billing_reply_without_numbers_is_malformed():
    with pytest.raises(e.MalformedResponseError):
        client_answering(200, "s0_billing_usage").billing_subscription()


def test_an_exhausted_key_is_no_balance_not_a_wrong_key():
    """The gateway's own 401 for a token whose quota is used up (额度已用尽)."""
    with pytest.raises(e.QuotaError):
        client_answering(401, "s0_token_exhausted").billing_subscription()
