"""The estimate module: price list + settings → cost (pure; no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spend.estimate import OK, UNKNOWN, UNLISTED, PriceTable, Request, estimate
from zcheap.simulator import billing

PRICES = PriceTable.from_json(
    {
        "success": True,
        "data": [
            {"model_name": "gemini-3-pro-image-preview", "quota_type": 1, "model_price": 0.134},
            {"model_name": "mj_imagine", "quota_type": 1, "model_price": 0.04},
            {"model_name": "mj_upscale", "quota_type": 1, "model_price": 0.02},
            {
                "model_name": "ima-pro-novideo-720p",
                "quota_type": 0,
                "model_ratio": 0.615574,
                "completion_ratio": 1,
            },
            {"model_name": "ima-pro-withvideo-720p", "quota_type": 0, "model_ratio": 0.923361},
            {
                "model_name": "gemini-3.1-flash-image-preview",
                "quota_type": 0,
                "model_ratio": 2,
                "completion_ratio": 4,
            },
        ],
        "group_ratio": {"default": 1, "vip": 0.5},
    }
)


def usd(value: str) -> Decimal:
    return Decimal(value)


def test_a_per_call_model_costs_its_price_times_the_group_ratio():
    request = Request("image", "gemini-3-pro-image-preview")
    assert estimate(PRICES, request).usd == usd("0.134")
    assert estimate(PRICES, request, group="vip").usd == usd("0.067")
    assert not estimate(PRICES, request).approximate


def test_several_pictures_cost_several_times():
    result = estimate(PRICES, Request("image", "gemini-3-pro-image-preview", count=3))
    assert result.usd == usd("0.402") and result.each == usd("0.134") and result.count == 3


@pytest.mark.parametrize(
    ("prompt", "price"),
    [
        ("a fox", "0.04"),
        ("a fox --fast", "0.08"),
        ("a fox --turbo", "0.08"),
        ("a fox --draft", "0.02"),
        ("a fox --relax", "0.04"),
        ("a fox --draft --turbo", "0.08"),  # the last flag counts, as in Midjourney
    ],
)
def test_mj_speed_flags(prompt, price):
    assert estimate(PRICES, Request("mj", "midjourney", "imagine", prompt)).usd == usd(price)


def test_mj_actions_are_priced_by_their_own_name():
    result = estimate(PRICES, Request("mj", "midjourney", "upscale", "a fox --fast"))
    assert result.usd == usd("0.04") and result.billing_model == "mj_upscale"


def test_a_per_token_video_is_an_approximate_estimate_from_typical_usage():
    request = Request("video", "ima-pro", params={"duration": 5, "resolution": "720p"})
    result = estimate(PRICES, request)
    assert result.status == OK and result.approximate
    assert result.usd == pytest.approx(usd("0.40"), abs=usd("0.001"))
    ten = estimate(PRICES, Request("video", "ima-pro", params={"duration": 10}))
    assert ten.usd == pytest.approx(result.usd * 2, abs=usd("0.000002"))


def test_reference_videos_use_the_withvideo_sku():
    params = {"duration": 5, "resolution": "720p", "reference_video_urls": ["https://x/v.mp4"]}
    result = estimate(PRICES, Request("video", "ima-pro", params=params))
    assert result.billing_model == "ima-pro-withvideo-720p"


def test_reported_usage_makes_a_per_token_price_exact():
    request = Request("image", "gemini-3.1-flash-image-preview", prompt="x" * 40)
    usage = {"input_tokens": 10, "output_tokens": 1000, "total_tokens": 1010}
    result = estimate(PRICES, request, usage=usage)
    assert not result.approximate
    assert result.usd == (Decimal(10 + 1000 * 4) * 2 / 500_000).quantize(Decimal("0.000001"))


def test_no_price_list_is_unknown_never_a_number():
    result = estimate(None, Request("image", "gemini-3-pro-image-preview"))
    assert result.status == UNKNOWN and result.usd is None and not result.known


def test_a_model_the_list_does_not_name_is_unlisted():
    result = estimate(PRICES, Request("image", "some-new-model"))
    assert result.status == UNLISTED and result.usd is None


def test_unreadable_price_lists_give_no_table():
    assert PriceTable.from_json(None) is None
    assert PriceTable.from_json({"success": True, "data": []}) is None
    assert PriceTable.from_json({"data": "nope"}) is None
    table = PriceTable.from_json({"data": [{"model_name": "m", "model_price": "junk"}]})
    assert table.models["m"].model_price == 0


def test_the_estimate_matches_what_the_simulator_charges():
    """Demo mode shows real numbers: the estimate of each simulated task is its charge."""
    table = PriceTable.from_json(billing.price_list())
    cases = [
        (
            Request("image", "gemini-3.1-flash-image-preview"),
            {
                "kind": "image",
                "model": "gemini-3.1-flash-image-preview",
                "action": "generate",
                "prompt": "",
                "params": {},
            },
        ),
        (
            Request("mj", "midjourney", "imagine", "fox --fast"),
            {
                "kind": "mj",
                "model": "midjourney",
                "action": "IMAGINE",
                "prompt": "fox --fast",
                "params": {},
            },
        ),
        (
            Request("mj", "midjourney", "pan", "fox --draft"),
            {
                "kind": "mj",
                "model": "midjourney",
                "action": "PAN",
                "prompt": "fox --draft",
                "params": {},
            },
        ),
        (
            Request("video", "ima-pro-fast", params={"duration": 8, "resolution": "480p"}),
            {
                "kind": "video",
                "model": "ima-pro-fast",
                "action": "generate",
                "prompt": "",
                "params": {"duration": 8, "resolution": "480p"},
            },
        ),
    ]
    for request, task in cases:
        charged = Decimal(billing.task_quota(task)) / 500_000
        assert estimate(table, request).usd == pytest.approx(charged, abs=Decimal("0.000002"))
