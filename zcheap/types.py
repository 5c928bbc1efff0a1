"""Typed requests and replies for the Zcheap API (stdlib dataclasses), and their parsers.

Parsers are strict where the contract is sure (a task id must be there) and lenient where it
says GUESS; every GUESS decision is in the "Guesses" section below, in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import MalformedResponseError

# --- Guesses (contract items marked GUESS or ambiguous) -------------------------------------
# 1. Submit replies carry status "" or "queued" (or anything else): we never rely on it.
# 2. MJ fetch names the id `id` (code) or `mj_id` (old openapi): read either.
# 3. Image fetch `usage` may be missing (live upstream answers): default to {}.
# 4. A synchronous OpenAI-style image reply {"created", "data": [{"url"|"b64_json"}]} may come
#    back from POST /v1/images/generations: treat it as an already finished task.
# 5. MJ `urls` may be missing or empty: fall back to [imageUrl].
# 6. Video failures may come without `error`: the reason is then looked up in `fail_reason`,
#    `reason`, `message`, else a generic text.
# 7. MJ classic statuses NOT_START/SUBMITTED/IN_PROGRESS/MODAL count as running.
# 8. Video status "unknown" (before the first upstream sync) counts as queued.
# 9. Asset list TotalCount is the count on this page (quirk): callers page until a page is short.
# 10. MJ submit codes 21 (exists) and 22 (queued) count as success, like 1.
# 11. MJ change parameters (pan direction, zoom scale, remix mode): the stored gateway drops
#     `direction`, `scale` and `mode` and replaces the change prompt with the parent's (§0), yet
#     Zcheap's docs promise the actions. We send each one in every form a gateway might read:
#     the plain fields, Youchuan's names (`remixPrompt`), the button form (`customId`, read by
#     /mj/submit/action and possibly by /change) and MJ prompt syntax (`--zoom` for zooms).
#     Whether any of them reaches Youchuan is unverified; `mj_check` looks at the result.
# 12. A single MJ result URL for a grid action is the 2x2 grid as one picture (§0): split it.
# 13. `amount_usd` (what a task cost) may appear on any task reply; read it where it is.
# 14. Usage log lines: the task a line belongs to is read from `other.task_id` or a task id in
#     `content`; a refund line has type 6. Neither is confirmed by the gateway source.

IMAGE_RUNNING = {"", "queued", "processing", "pending", "submitted", "in_progress", "running"}
VIDEO_STATUS_ALIASES = {
    "unknown": "queued",
    "": "queued",
    "submitted": "queued",
    "pending": "queued",
}
MJ_SUCCESS_CODES = {1, 21, 22}
# §0: Flash takes "512px" (not "512"); older rows may still say "512".
IMAGE_SIZE_ALIASES = {"512": "512px"}
# §0: image references must be .jpg/.jpeg/.png links, or links without an extension.
REFERENCE_EXTENSIONS = {"jpg", "jpeg", "png"}
MAX_IMAGE_REFERENCES = 14


def _require(data: Any, key: str, where: str) -> Any:
    if not isinstance(data, dict) or key not in data or data[key] in (None, ""):
        raise MalformedResponseError(f"{where}: missing {key!r}")
    return data[key]


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _progress(value: Any) -> int:
    """Progress arrives as 30, "30", "30%" or junk; clamp to 0..100."""
    match = re.match(r"\s*(\d+)", _str(value))
    return max(0, min(100, int(match.group(1)))) if match else 0


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _amount(value: Any) -> float | None:
    """`amount_usd` as a float, or None when absent or junk."""
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def reference_extension_ok(url: str) -> bool:
    """§0: the image route takes a reference link whose extension is jpg/jpeg/png, or none."""
    from urllib.parse import urlsplit

    if url.startswith("asset://"):
        return True
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." not in name or name.rsplit(".", 1)[1].lower() in REFERENCE_EXTENSIONS


# --- Requests --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ImageRequest:
    model: str
    prompt: str
    aspect_ratio: str | None = None
    size: str | None = None
    images: tuple[str, ...] = ()
    metadata: dict | None = None

    def to_json(self) -> dict:
        body: dict[str, Any] = {"model": self.model, "prompt": self.prompt}
        if self.aspect_ratio:
            body["aspect_ratio"] = self.aspect_ratio
        if self.size:
            body["size"] = IMAGE_SIZE_ALIASES.get(self.size, self.size)
        # One reference goes in `image`, several in `images` (the SDK refuses both together).
        if len(self.images) == 1:
            body["image"] = self.images[0]
        elif self.images:
            body["images"] = list(self.images)
        if self.metadata:
            body["metadata"] = self.metadata
        return body


@dataclass(frozen=True, slots=True)
class VideoRequest:
    model: str
    prompt: str = ""
    images: tuple[str, ...] = ()
    duration: int | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    audio: bool | None = None
    role_mode: str | None = None
    reference_video_urls: tuple[str, ...] = ()
    reference_audio_urls: tuple[str, ...] = ()
    watermark: bool | None = None

    def to_json(self) -> dict:
        body: dict[str, Any] = {"model": self.model}
        if self.prompt:
            body["prompt"] = self.prompt
        if self.images:
            body["images"] = list(self.images)
        if self.duration:
            body["duration"] = int(self.duration)
        if self.aspect_ratio:
            body["aspect_ratio"] = self.aspect_ratio
        metadata: dict[str, Any] = {}
        if self.resolution:
            metadata["resolution"] = self.resolution
        if self.aspect_ratio:
            metadata["aspect_ratio"] = self.aspect_ratio
        if self.audio is not None:
            metadata["audio"] = bool(self.audio)
        if self.role_mode:
            metadata["role_mode"] = self.role_mode
        if self.reference_video_urls:
            metadata["reference_video_urls"] = list(self.reference_video_urls)
        if self.reference_audio_urls:
            metadata["reference_audio_urls"] = list(self.reference_audio_urls)
        if self.watermark is not None:
            metadata["watermark"] = bool(self.watermark)
        if metadata:
            body["metadata"] = metadata
        return body


MJ_ACTIONS = {
    "upscale": "UPSCALE",
    "variation": "VARIATION",
    "low_variation": "LOW_VARIATION",
    "high_variation": "HIGH_VARIATION",
    "reroll": "REROLL",
    "zoom": "ZOOM",
    "custom_zoom": "CUSTOM_ZOOM",
    "pan": "PAN",
    "inpaint": "INPAINT",
    "remix": "REMIX",
}
PAN_DIRECTIONS = {"down": 0, "right": 1, "up": 2, "left": 3}


@dataclass(frozen=True, slots=True)
class MjChangeRequest:
    task_id: str
    action: str  # one of MJ_ACTIONS' values
    index: int = 1  # the server wants index >= 1 for every action, REROLL included
    prompt: str | None = None  # the new prompt (remix, vary region); None keeps the parent's
    mask_base64: str | None = None
    # GUESS 11: how direction/scale/mode reach Youchuan is unknown; sent in every form.
    direction: int | None = None
    scale: float | None = None
    mode: str | None = None
    base_prompt: str = ""  # the parent's prompt, for MJ prompt syntax (`--zoom`)

    def custom_id(self) -> str:
        """The button form of a pan or zoom (what /mj/submit/action parses)."""
        if self.action == "PAN" and self.direction is not None:
            name = {v: k for k, v in PAN_DIRECTIONS.items()}.get(self.direction, "down")
            return f"MJ::JOB::pan_{name}::{self.index}::{self.task_id}::SOLO"
        if self.action == "ZOOM" and self.scale:
            return f"MJ::Outpaint::{50 if self.scale >= 1.75 else 75}::{self.index}::{self.task_id}::SOLO"
        return ""

    def prompt_text(self) -> str:
        """The prompt to send: the new one, with `--zoom` written in for zooms."""
        text = (self.prompt or "").strip()
        if self.action in {"ZOOM", "CUSTOM_ZOOM"} and self.scale:
            base = text or self.base_prompt.strip()
            base = re.sub(r"\s*--zoom\s+[\d.]+", "", base)
            text = f"{base} --zoom {self.scale:g}".strip()
        return text

    def to_json(self) -> dict:
        body: dict[str, Any] = {"taskId": self.task_id, "action": self.action, "index": self.index}
        prompt = self.prompt_text()
        for key, value in (
            ("prompt", prompt),
            ("remixPrompt", (self.prompt or "").strip()),
            ("maskBase64", self.mask_base64),
            ("direction", self.direction),
            ("scale", self.scale),
            ("mode", self.mode),
            ("customId", self.custom_id()),
        ):
            if value not in (None, ""):
                body[key] = value
        return body


# --- Replies ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SubmitResult:
    """Family A: a task was accepted. `immediate` is set for a synchronous image reply."""

    task_id: str
    status: str = ""
    model: str = ""
    created_at: int = 0
    immediate: ImageTask | None = None
    amount_usd: float | None = None


@dataclass(frozen=True, slots=True)
class ImageTask:
    task_id: str
    status: str  # queued | processing | succeeded | failed
    url: str = ""
    urls: tuple[str, ...] = ()
    format: str = ""
    error_message: str = ""
    usage: dict = field(default_factory=dict)
    amount_usd: float | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in {"succeeded", "failed"}


@dataclass(frozen=True, slots=True)
class VideoResult:
    url: str
    width: int = 0
    height: int = 0
    duration: float = 0.0
    content_type: str = ""


@dataclass(frozen=True, slots=True)
class VideoTask:
    task_id: str
    status: str  # queued | in_progress | completed | failed
    progress: int = 0
    url: str = ""
    results: tuple[VideoResult, ...] = ()
    usage: dict = field(default_factory=dict)
    error_code: str = ""
    error_message: str = ""
    completed_at: int = 0
    amount_usd: float | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in {"completed", "failed"}


@dataclass(frozen=True, slots=True)
class MjSubmit:
    task_id: str
    code: int = 1
    description: str = ""


@dataclass(frozen=True, slots=True)
class MjTask:
    task_id: str
    action: str = ""
    status: str = ""  # "" while running, SUCCESS, FAILURE (classic: NOT_START, IN_PROGRESS, ...)
    progress: int = 0
    prompt: str = ""
    image_url: str = ""
    urls: tuple[str, ...] = ()
    fail_reason: str = ""
    submit_time: int = 0
    finish_time: int = 0
    final_prompt: str = ""

    @property
    def single_url(self) -> bool:
        """GUESS 12: one URL for a grid action is the whole grid as one picture."""
        return self.succeeded and len(self.urls) == 1

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def failed(self) -> bool:
        return self.status in {"FAILURE", "CANCEL"}

    @property
    def is_terminal(self) -> bool:
        return self.succeeded or self.failed


@dataclass(frozen=True, slots=True)
class AssetGroup:
    id: str
    name: str = ""
    title: str = ""
    description: str = ""
    group_type: str = ""
    project_name: str = ""
    create_time: str = ""
    update_time: str = ""


@dataclass(frozen=True, slots=True)
class Asset:
    id: str
    name: str = ""
    url: str = ""
    group_id: str = ""
    asset_type: str = ""
    status: str = ""  # Processing | Active | Failed
    error_code: str = ""
    error_message: str = ""
    project_name: str = ""
    create_time: str = ""
    update_time: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple
    total_count: int = 0  # the count on THIS page (quirk), not the total
    page_number: int = 1
    page_size: int = 0


@dataclass(frozen=True, slots=True)
class AssetQuota:
    enabled: bool
    max_count_per_user: int
    current_count: int

    @property
    def remaining(self) -> int:
        return max(0, self.max_count_per_user - self.current_count)


def remaining_balance(subscription, used: float) -> float:
    """Contract §0: remaining = hard_limit_usd − total_usage / 100; USED is what
    `billing_usage()` returns (already divided by 100), both in the display unit."""
    return subscription.hard_limit - used


# --- Parsers ---------------------------------------------------------------------------------
def parse_submit(data: Any) -> SubmitResult:
    if isinstance(data, dict) and isinstance(data.get("data"), list) and "created" in data:
        urls = tuple(
            _str(d.get("url")) for d in data["data"] if isinstance(d, dict) and d.get("url")
        )
        if not urls:
            raise MalformedResponseError("synchronous image reply without URLs")
        task = ImageTask(task_id="", status="succeeded", url=urls[0], urls=urls)
        return SubmitResult(task_id="", status="succeeded", immediate=task)
    task_id = _str(data.get("task_id") if isinstance(data, dict) else None) or _str(
        _require(data, "id", "submit reply")
    )
    return SubmitResult(
        task_id=task_id,
        status=_str(data.get("status")),
        model=_str(data.get("model")),
        created_at=_int(data.get("created_at")),
        amount_usd=_amount(data.get("amount_usd")),
    )


def parse_image_task(data: Any) -> ImageTask:
    inner = _require(data, "data", "image task reply")
    status = _str(inner.get("status")).lower()
    if status in IMAGE_RUNNING:
        status = "queued" if status in {"", "queued", "pending", "submitted"} else "processing"
    elif status in {"success", "completed", "done"}:
        status = "succeeded"
    elif status not in {"succeeded", "failed"}:
        status = (
            "failed" if status in {"failure", "error", "cancelled", "canceled"} else "processing"
        )
    url = _str(inner.get("url")).strip()
    message = _str(_dict(inner.get("error")).get("message"))
    if url and not _is_url(url):
        # §0: a realtime fetch keeps error null and puts the failure text in `url`.
        message, url = message or url, ""
    if status == "succeeded" and not url:
        raise MalformedResponseError("image task succeeded without a URL")
    return ImageTask(
        task_id=_str(inner.get("task_id")),
        status=status,
        url=url if status == "succeeded" else "",
        urls=(url,) if url and status == "succeeded" else (),
        format=_str(inner.get("format")),
        error_message=message if status == "failed" else "",
        usage=_dict(inner.get("usage")),
        amount_usd=_amount(inner.get("amount_usd")),
    )


def parse_video_task(data: Any) -> VideoTask:
    task_id = _str(_require(data, "id", "video task reply"))
    status = _str(data.get("status")).lower()
    status = VIDEO_STATUS_ALIASES.get(status, status)
    if status in {"succeeded", "success"}:
        status = "completed"
    if status not in {"queued", "in_progress", "completed", "failed"}:
        status = "in_progress"
    results = tuple(
        VideoResult(
            url=_str(r.get("url")),
            width=_int(r.get("width")),
            height=_int(r.get("height")),
            duration=float(r.get("duration") or 0),
            content_type=_str(r.get("content_type")),
        )
        for r in (data.get("results") or [])
        if isinstance(r, dict) and r.get("url")
    )
    # §0: `metadata.url` is "" while running, the result on success, the fail reason on failure.
    meta_url = _str(_dict(data.get("metadata")).get("url")).strip()
    url = (meta_url if _is_url(meta_url) else "") or (results[0].url if results else "")
    if status == "completed" and not url:
        raise MalformedResponseError("video task completed without a URL")
    error = _dict(data.get("error"))
    message = (
        _str(error.get("message"))
        or _str(data.get("fail_reason") or data.get("reason") or data.get("message"))
        or (meta_url if status == "failed" and not _is_url(meta_url) else "")
    )
    return VideoTask(
        task_id=_str(data.get("task_id")) or task_id,
        status=status,
        progress=100 if status in {"completed", "failed"} else _progress(data.get("progress")),
        url=url,
        results=results,
        usage=_dict(data.get("usage")),
        error_code=_str(error.get("code")),
        error_message=message if status == "failed" else "",
        completed_at=_int(data.get("completed_at")),
        amount_usd=_amount(data.get("amount_usd")),
    )


def parse_mj_submit(data: Any) -> MjSubmit:
    return MjSubmit(
        task_id=_str(_require(data, "result", "MJ submit reply")),
        code=_int(data.get("code"), 1),
        description=_str(data.get("description")).strip(),
    )


def parse_mj_task(data: Any) -> MjTask:
    if not isinstance(data, dict):
        raise MalformedResponseError("MJ task reply is not an object")
    task_id = _str(data.get("id") or data.get("mj_id"))
    if not task_id:
        raise MalformedResponseError("MJ task reply: missing 'id'")
    status = _str(data.get("status")).upper()
    image_url = _str(data.get("imageUrl"))
    urls = tuple(_str(u) for u in (data.get("urls") or []) if u) or (
        (image_url,) if image_url else ()
    )
    properties = _dict(data.get("properties"))
    return MjTask(
        task_id=task_id,
        action=_str(data.get("action")),
        status=status,
        progress=100 if status in {"SUCCESS", "FAILURE"} else _progress(data.get("progress")),
        prompt=_str(data.get("prompt")),
        image_url=image_url,
        urls=urls if status == "SUCCESS" else (),
        fail_reason=_str(data.get("failReason")),
        submit_time=_int(data.get("submitTime")),
        finish_time=_int(data.get("finishTime")),
        final_prompt=_str(properties.get("finalPrompt")),
    )


def parse_asset_group(data: Any) -> AssetGroup:
    return AssetGroup(
        id=_str(_require(data, "Id", "asset group")),
        name=_str(data.get("Name")),
        title=_str(data.get("Title")),
        description=_str(data.get("Description")),
        group_type=_str(data.get("GroupType")),
        project_name=_str(data.get("ProjectName")),
        create_time=_str(data.get("CreateTime")),
        update_time=_str(data.get("UpdateTime")),
    )


def parse_asset(data: Any) -> Asset:
    error = _dict(data.get("Error") if isinstance(data, dict) else None)
    return Asset(
        id=_str(_require(data, "Id", "asset")),
        name=_str(data.get("Name")),
        url=_str(data.get("URL") or data.get("Url")),
        group_id=_str(data.get("GroupId")),
        asset_type=_str(data.get("AssetType")) or "Image",
        status=_str(data.get("Status")) or "Processing",
        error_code=_str(error.get("Code")),
        error_message=_str(error.get("Message")),
        project_name=_str(data.get("ProjectName")),
        create_time=_str(data.get("CreateTime")),
        update_time=_str(data.get("UpdateTime")),
    )


def parse_page(data: Any, item_parser) -> Page:
    if not isinstance(data, dict):
        raise MalformedResponseError("list reply is not an object")
    items = tuple(item_parser(i) for i in (data.get("Items") or []))
    return Page(
        items=items,
        total_count=_int(data.get("TotalCount"), len(items)),
        page_number=_int(data.get("PageNumber"), 1),
        page_size=_int(data.get("PageSize"), len(items)),
    )


def parse_quota(data: Any) -> AssetQuota:
    if not isinstance(data, dict):
        raise MalformedResponseError("quota reply is not an object")
    return AssetQuota(
        enabled=bool(data.get("enabled")),
        max_count_per_user=_int(data.get("max_count_per_user")),
        current_count=_int(data.get("current_count")),
    )


def _number(data: dict, name: str, what: str) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedResponseError(f"{what}: {name} is not a number")
    return float(value)


def parse_id(data: Any) -> str:
    return _str(_require(data, "Id", "id reply"))


# --- Money (contract §0 "Money"): price list, billing routes, usage log ----------------------
# new-api's internal unit: 500,000 quota = 1 USD (the default QuotaPerUnit).
QUOTA_PER_USD = 500_000
LOG_TYPE_CONSUME = 2
LOG_TYPE_REFUND = 6  # GUESS: newer new-api builds log a refund line of this type
UNLIMITED_QUOTA = 100_000_000  # what the subscription route reports for an unlimited key


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One line of `/api/pricing`. quota_type 1 = per call (`model_price` USD at group ratio 1),
    0 = per token (`model_ratio`, output tokens weighted by `completion_ratio`)."""

    model_name: str
    quota_type: int
    model_ratio: float = 0.0
    model_price: float = 0.0
    completion_ratio: float = 1.0
    enable_groups: tuple[str, ...] = ()

    @property
    def per_call(self) -> bool:
        return self.quota_type == 1


@dataclass(frozen=True, slots=True)
class Pricing:
    models: dict[str, ModelPrice]
    group_ratio: dict[str, float]

    def to_json(self) -> dict:
        """A plain form to keep in a cache or database (read back with parse_pricing)."""
        return {
            "success": True,
            "data": [
                {
                    "model_name": m.model_name,
                    "quota_type": m.quota_type,
                    "model_ratio": m.model_ratio,
                    "model_price": m.model_price,
                    "completion_ratio": m.completion_ratio,
                    "enable_groups": list(m.enable_groups),
                }
                for m in self.models.values()
            ],
            "group_ratio": dict(self.group_ratio),
        }


@dataclass(frozen=True, slots=True)
class Subscription:
    """`/v1/dashboard/billing/subscription`: the key's total quota, in the gateway's display
    unit (USD by default; CNY or tokens when the site is set so)."""

    hard_limit: float
    soft_limit: float = 0.0
    access_until: int = 0

    @property
    def unlimited(self) -> bool:
        return self.hard_limit >= UNLIMITED_QUOTA


@dataclass(frozen=True, slots=True)
class UsageLogLine:
    created_at: int
    type: int
    model_name: str
    quota: int
    content: str = ""
    task_id: str = ""

    @property
    def usd(self) -> float:
        return self.quota / QUOTA_PER_USD


def _float(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number == number and abs(number) != float("inf") else default


def _success_data(data: Any, where: str) -> Any:
    """The admin-style envelope `{"success", "message", "data"}`; success:false is an error."""
    if not isinstance(data, dict):
        raise MalformedResponseError(f"{where} is not an object")
    if data.get("success") is False:
        from .errors import PermanentError

        raise PermanentError(_str(data.get("message")) or f"{where}: success false")
    return data.get("data")


def parse_pricing(data: Any) -> Pricing:
    items = _success_data(data, "pricing reply")
    if not isinstance(items, list):
        raise MalformedResponseError("pricing reply has no list")
    models = {}
    for item in items:
        if not isinstance(item, dict) or not _str(item.get("model_name")):
            continue
        name = _str(item["model_name"])
        groups = item.get("enable_groups")
        models[name] = ModelPrice(
            model_name=name,
            quota_type=_int(item.get("quota_type")),
            model_ratio=_float(item.get("model_ratio")),
            model_price=_float(item.get("model_price")),
            completion_ratio=_float(item.get("completion_ratio"), 1.0) or 1.0,
            enable_groups=tuple(_str(g) for g in groups) if isinstance(groups, list) else (),
        )
    ratios = data.get("group_ratio") if isinstance(data.get("group_ratio"), dict) else {}
    return Pricing(models=models, group_ratio={_str(k): _float(v, 1.0) for k, v in ratios.items()})


def _billing_error(data: Any, where: str) -> dict:
    """§0: errors on the billing routes come as HTTP 200 `{"error": {"message", "type"}}`."""
    if not isinstance(data, dict):
        raise MalformedResponseError(f"{where} is not an object")
    inner = data.get("error")
    if isinstance(inner, dict):
        from .errors import PermanentError

        raise PermanentError(_str(inner.get("message")) or where, code=_str(inner.get("type")))
    return data


def parse_subscription(data: Any) -> Subscription:
    data = _billing_error(data, "subscription reply")
    if "hard_limit_usd" not in data:
        raise MalformedResponseError("subscription reply without hard_limit_usd")
    return Subscription(
        hard_limit=_float(data.get("hard_limit_usd")),
        soft_limit=_float(data.get("soft_limit_usd")),
        access_until=_int(data.get("access_until")),
    )


def parse_usage(data: Any) -> float:
    """`/v1/dashboard/billing/usage`: `total_usage` is in cents of the display unit; returns the
    used amount in the display unit."""
    data = _billing_error(data, "usage reply")
    if "total_usage" not in data:
        raise MalformedResponseError("usage reply without total_usage")
    return _float(data.get("total_usage")) / 100


TASK_ID_IN_TEXT = re.compile(r"\b(task_[A-Za-z0-9]{8,64}|\d{13,24})\b")


def _log_task_id(item: dict) -> str:
    """GUESS: a log line names its task in `other` (JSON object or text) or in `content`."""
    other = item.get("other")
    if isinstance(other, str) and other.strip().startswith("{"):
        import json

        try:
            other = json.loads(other)
        except ValueError:
            other = {}
    if isinstance(other, dict) and _str(other.get("task_id")):
        return _str(other["task_id"])
    match = TASK_ID_IN_TEXT.search(_str(item.get("content")))
    return match.group(1) if match else ""


def parse_usage_log(data: Any) -> list[UsageLogLine]:
    items = _success_data(data, "usage log reply")
    if items is None:
        return []
    if isinstance(items, dict) and isinstance(items.get("items"), list):  # paged builds
        items = items["items"]
    if not isinstance(items, list):
        raise MalformedResponseError("usage log reply has no list")
    return [
        UsageLogLine(
            created_at=_int(item.get("created_at")),
            type=_int(item.get("type"), LOG_TYPE_CONSUME),
            model_name=_str(item.get("model_name")),
            quota=_int(item.get("quota")),
            content=_str(item.get("content")),
            task_id=_log_task_id(item),
        )
        for item in items
        if isinstance(item, dict)
    ]
