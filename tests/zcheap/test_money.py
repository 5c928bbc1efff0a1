"""Money routes (contract §0): the client against the simulator over loopback HTTP.

The simulator charges a task when it is created and refunds it when it fails; the balance, the
usage and the usage log always agree with the tasks it ran.
"""

from __future__ import annotations

import uuid

import pytest

from tests.zcheap.conftest import wait_for
from zcheap import errors as e
from zcheap import types as t
from zcheap.client import ZcheapClient
from zcheap.simulator import SimConfig, running_simulator

GEMINI = "gemini-3-pro-image-preview"


def _client(url: str, key: str = "") -> ZcheapClient:
    return ZcheapClient(url, key or f"sk-money-{uuid.uuid4().hex[:8]}", max_retries=0)


def test_the_price_list_needs_no_key_and_reads_both_price_kinds(sim_url):
    with ZcheapClient(sim_url, "", max_retries=0) as anonymous:
        pricing = anonymous.pricing()
    per_call = pricing.models[GEMINI]
    assert per_call.per_call and per_call.model_price == pytest.approx(0.134)
    video = pricing.models["ima-pro-novideo-720p"]
    assert not video.per_call and video.model_ratio > 0
    assert pricing.group_ratio["default"] == 1.0
    assert "mj_imagine" in pricing.models and "mj_upscale" in pricing.models


def test_a_new_key_has_its_whole_quota_and_an_empty_log(client):
    assert client.billing_subscription().hard_limit == pytest.approx(100.0)
    assert client.billing_usage() == 0
    assert client.usage_log() == []


def test_a_submit_is_charged_at_once_and_logged_with_its_task(client):
    submit = client.create_image(t.ImageRequest(GEMINI, "a fox"))
    assert client.billing_usage() == pytest.approx(0.134)
    [line] = client.usage_log()
    assert line.type == t.LOG_TYPE_CONSUME and line.task_id == submit.task_id
    assert line.model_name == GEMINI and line.usd == pytest.approx(0.134)


def test_a_failed_task_is_refunded_and_the_log_shows_the_refund(client):
    submit = client.create_image(t.ImageRequest(GEMINI, "doomed [sim:fail]"))
    assert client.billing_usage() == pytest.approx(0.134)  # pre-charged on submit
    wait_for(lambda: client.get_image(submit.task_id), lambda r: r.is_terminal)
    assert client.billing_usage() == 0
    kinds = [(line.type, line.task_id) for line in client.usage_log()]
    assert (t.LOG_TYPE_REFUND, submit.task_id) in kinds
    assert (t.LOG_TYPE_CONSUME, submit.task_id) in kinds


def test_a_refused_submit_costs_nothing(client):
    with pytest.raises(e.ModerationError):
        client.create_image(t.ImageRequest(GEMINI, "nope [sim:moderation]"))
    assert client.billing_usage() == 0


def test_mj_speed_flags_change_the_charge(client):
    client.mj_imagine("a fox --fast")
    client.mj_imagine("a fox --draft")
    client.mj_imagine("a fox")
    assert client.billing_usage() == pytest.approx(0.04 * 2 + 0.04 * 0.5 + 0.04)


def test_a_video_costs_its_amount_usd_and_the_usage_agrees(client):
    submit = client.create_video(
        t.VideoRequest("ima-pro", "tea cup", duration=5, resolution="720p")
    )
    task = wait_for(lambda: client.get_video(submit.task_id), lambda r: r.is_terminal)
    assert task.amount_usd == pytest.approx(0.40, abs=0.001)
    assert client.billing_usage() == pytest.approx(task.amount_usd, abs=0.0001)


def test_accounts_are_separate(sim_url):
    with _client(sim_url) as one, _client(sim_url) as two:
        one.create_image(t.ImageRequest(GEMINI, "a fox"))
        assert two.billing_usage() == 0 and two.usage_log() == []


def test_money_is_reported_in_the_gateways_unit(tmp_path):
    config = SimConfig.fast(state_path=tmp_path / "s.db", money_unit="CNY", usd_rate=7.0)
    with running_simulator(config) as url, _client(url) as client:
        assert client.billing_subscription().hard_limit == pytest.approx(700.0)
        client.create_image(t.ImageRequest(GEMINI, "a fox"))
        assert client.billing_usage() == pytest.approx(0.134 * 7.0)


def test_a_low_limit_shows_as_a_small_balance(tmp_path):
    config = SimConfig.fast(state_path=tmp_path / "s.db")
    with running_simulator(config) as url, _client(url, "sk-low") as client:
        from zcheap.simulator.state import State

        State(config.state_path).set_limit("sk-low", 1.0)
        client.create_image(t.ImageRequest(GEMINI, "a fox"))
        remaining = client.billing_subscription().hard_limit - client.billing_usage()
        assert remaining == pytest.approx(1.0 - 0.134)


def test_billing_errors_arrive_as_http_200_error_objects(tmp_path):
    config = SimConfig.fast(state_path=tmp_path / "s.db", billing_down=True, pricing_down=True)
    with running_simulator(config) as url, _client(url) as client:
        # An error object on a billing route says nothing about the key: tried again later.
        with pytest.raises(e.TransientError, match="billing is not available"):
            client.billing_subscription()
        with pytest.raises(e.TransientError):
            client.billing_usage()
        with pytest.raises(e.PermanentError, match="pricing"):
            client.pricing()


def test_a_bad_key_is_the_gateways_401_on_billing_routes(sim_url):
    with _client(sim_url, "sk-invalid-key") as client:
        with pytest.raises(e.AuthenticationError):
            client.billing_usage()
        with pytest.raises(e.AuthenticationError):
            client.usage_log()


def test_the_parsers_read_real_shaped_replies():
    assert t.parse_usage({"object": "list", "total_usage": 1234.5}) == pytest.approx(12.345)
    sub = t.parse_subscription({"object": "billing_subscription", "hard_limit_usd": 100000000})
    assert sub.unlimited
    lines = t.parse_usage_log(
        {
            "success": True,
            "data": [
                {
                    "created_at": 1,
                    "model_name": "mj_imagine",
                    "quota": 20000,
                    "content": "consume for task 1767225600000123456",
                }
            ],
        }
    )
    assert lines[0].task_id == "1767225600000123456" and lines[0].usd == pytest.approx(0.04)
    with pytest.raises(e.MalformedResponseError):
        t.parse_usage({"object": "list"})
    with pytest.raises(e.PermanentError):
        t.parse_usage_log({"success": False, "message": "no"})
