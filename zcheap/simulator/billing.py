"""The simulator's money (contract §0 "Money"): a price list, and charges that follow the tasks.

A task is charged when it is created (the gateway pre-charges on submit) and refunded when it
fails; an asset upload costs its per-call price. Nothing is stored twice: the usage, the balance
and the usage log are all computed from the task and asset rows, so they always agree with
what the simulator ran.
"""

from __future__ import annotations

import json
import re

QUOTA_PER_USD = 500_000
LOG_CONSUME, LOG_REFUND = 2, 6
# Tokens the simulated video engine reports per second of video (see SimulatorApp.video_object).
VIDEO_TOKENS_PER_SECOND = 64_980
GROUP = "default"
GROUP_RATIO = {"default": 1.0, "vip": 0.8}

# Per call: USD at group ratio 1 (quota_type 1).
PER_CALL = {
    "gemini-3-pro-image-preview": 0.134,
    "gemini-3.1-flash-image-preview": 0.067,
    "mj_imagine": 0.04,
    "mj_blend": 0.04,
    "mj_upscale": 0.02,
    "mj_variation": 0.04,
    "mj_low_variation": 0.04,
    "mj_high_variation": 0.04,
    "mj_reroll": 0.04,
    "mj_zoom": 0.04,
    "mj_custom_zoom": 0.04,
    "mj_pan": 0.04,
    "mj_inpaint": 0.04,
    "mj_remix": 0.04,
    "ima-pro-upload": 0.005,
}
# Per token (quota_type 0): video SKUs `<model>-{novideo|withvideo}-{480p|720p|1080p}` (§3.2).
# The ratio is quota per token; chosen so that a second of video costs a round amount.
VIDEO_USD_PER_SECOND = {"480p": 0.05, "720p": 0.08, "1080p": 0.14}
FAST_FACTOR = 0.6
WITH_VIDEO_FACTOR = 1.5


def video_ratio(model: str, resolution: str, with_video: bool) -> float:
    per_second = VIDEO_USD_PER_SECOND.get(resolution, VIDEO_USD_PER_SECOND["720p"])
    if model.endswith("-fast"):
        per_second *= FAST_FACTOR
    if with_video:
        per_second *= WITH_VIDEO_FACTOR
    return per_second * QUOTA_PER_USD / VIDEO_TOKENS_PER_SECOND


def video_sku(model: str, resolution: str, with_video: bool) -> str:
    return f"{model}-{'withvideo' if with_video else 'novideo'}-{resolution or '720p'}"


def price_list() -> dict:
    """The `/api/pricing` reply."""
    data = [
        {
            "model_name": name,
            "quota_type": 1,
            "model_ratio": 0,
            "model_price": price,
            "completion_ratio": 1,
            "enable_groups": list(GROUP_RATIO),
        }
        for name, price in PER_CALL.items()
    ]
    for model in ("ima-pro", "ima-pro-fast"):
        for resolution in VIDEO_USD_PER_SECOND:
            if model.endswith("-fast") and resolution == "1080p":
                continue
            for with_video in (False, True):
                data.append(
                    {
                        "model_name": video_sku(model, resolution, with_video),
                        "quota_type": 0,
                        "model_ratio": round(video_ratio(model, resolution, with_video), 6),
                        "model_price": 0,
                        "completion_ratio": 1,
                        "enable_groups": list(GROUP_RATIO),
                    }
                )
    return {"success": True, "message": "", "data": data, "group_ratio": dict(GROUP_RATIO)}


SPEED = re.compile(r"--(fast|turbo|draft|relax)\b")


def mj_speed_factor(prompt: str) -> float:
    """--fast and --turbo cost twice a default job, --draft half (the last flag counts)."""
    found = SPEED.findall(prompt or "")
    return {"fast": 2.0, "turbo": 2.0, "draft": 0.5}.get(found[-1], 1.0) if found else 1.0


def billing_model(task: dict) -> str:
    """The price-list name a task is charged under."""
    if task["kind"] == "mj":
        return f"mj_{task['action'].lower()}"
    if task["kind"] == "video":
        p = task["params"]
        return video_sku(task["model"], p.get("resolution", "720p"), bool(p.get("with_video")))
    return task["model"]


def video_tokens(task: dict) -> int:
    return VIDEO_TOKENS_PER_SECOND * int(task["params"].get("duration", 5))


def task_quota(task: dict) -> int:
    """What TASK is charged, in quota units (group ratio of the default group)."""
    ratio = GROUP_RATIO[GROUP]
    name = billing_model(task)
    if task["kind"] == "video":
        p = task["params"]
        per_token = video_ratio(
            task["model"], p.get("resolution", "720p"), bool(p.get("with_video"))
        )
        return round(video_tokens(task) * round(per_token, 6) * ratio)
    price = PER_CALL.get(name, 0.0)
    if task["kind"] == "mj":
        price *= mj_speed_factor(task["prompt"])
    return round(price * ratio * QUOTA_PER_USD)


def asset_quota() -> int:
    return round(PER_CALL["ima-pro-upload"] * GROUP_RATIO[GROUP] * QUOTA_PER_USD)


def log_line(n: int, created: float, kind: int, model: str, quota: int, task_id: str) -> dict:
    word = "refund" if kind == LOG_REFUND else "consume"
    return {
        "id": n,
        "created_at": int(created),
        "type": kind,
        "model_name": model,
        "quota": quota,
        "content": f"{word} {model} for task {task_id}",
        "token_name": "",
        "group": GROUP,
        "other": json.dumps({"task_id": task_id}),
    }
