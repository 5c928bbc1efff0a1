"""The simulator: a plain WSGI app that answers like Zcheap (see the contract, §2.3, §4, §6).

It is deliberately not Django: it runs inside the web process and the worker through an httpx
transport, or as a real loopback server, without touching Django's request machinery. State is
in a SQLite file and advances with the wall clock, so no background thread is needed.
"""

from __future__ import annotations

import io
import json
import random
import re
import secrets
import string
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from . import billing, media
from .config import SimConfig
from .state import State

ALNUM = string.ascii_letters + string.digits
IMAGE_MODELS = {"gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"}
VIDEO_MODELS = {
    "ima-pro",
    "ima-pro-fast",
    "seedance-2.0",
    "seedance-2.0-fast",
    "seedance-2.0-cn",
    "seedance-2.0-fast-cn",
}
MJ_CHANGE_ACTIONS = {
    "UPSCALE",
    "VARIATION",
    "LOW_VARIATION",
    "HIGH_VARIATION",
    "REROLL",
    "ZOOM",
    "PAN",
    "INPAINT",
    "REMIX",
    "CUSTOM_ZOOM",
}
IMAGE_SIZES = {
    "gemini-3-pro-image-preview": {"1K", "2K", "4K"},
    "gemini-3.1-flash-image-preview": {"512px", "1K", "2K", "4K"},
}
PRO_RATIOS = {"1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
IMAGE_RATIOS = {
    "gemini-3-pro-image-preview": PRO_RATIOS,
    "gemini-3.1-flash-image-preview": PRO_RATIOS | {"1:4", "1:8", "4:1", "8:1"},
}
REFERENCE_EXTENSIONS = {"jpg", "jpeg", "png"}
MARKER = re.compile(r"\[sim:([a-z0-9-]+)\]", re.I)
CUSTOM_ID_RULES = [
    (re.compile(r"^MJ::JOB::upsample::(\d)::"), "UPSCALE", None),
    (re.compile(r"^MJ::JOB::variation::(\d)::"), "VARIATION", None),
    (re.compile(r"^MJ::JOB::low_variation::(\d)::"), "LOW_VARIATION", None),
    (re.compile(r"^MJ::JOB::high_variation::(\d)::"), "HIGH_VARIATION", None),
    (re.compile(r"^MJ::JOB::reroll::\d::"), "REROLL", 1),
    (re.compile(r"^MJ::JOB::pan_(left|right|up|down)::(\d)::"), "PAN", None),
    (re.compile(r"^MJ::Outpaint::(50|75)::(\d)::"), "ZOOM", None),
    (re.compile(r"^MJ::CustomZoom::"), "CUSTOM_ZOOM", 1),
    (re.compile(r"^MJ::Inpaint::(\d)::"), "INPAINT", None),
    (re.compile(r"upsample"), "UPSCALE", None),
]


class Reply(Exception):
    """Raise to answer at once with STATUS and BODY (JSON unless bytes)."""

    def __init__(self, status: int, body, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def task_error(status: int, code: str, message: str | None = None) -> Reply:  # family D
    return Reply(status, {"code": code, "message": message or code, "data": None})


def openai_error(status: int, message: str, kind: str = "new_api_error") -> Reply:  # family G
    # §0: the gateway's own errors carry a request id; an unknown route's 404 does not.
    if kind == "new_api_error":
        message = f"{message} (request id: {secrets.token_hex(8)})"
    return Reply(status, {"error": {"message": message, "type": kind, "code": ""}})


def mj_error(code: int, description: str, status: int = 400) -> Reply:  # family F
    return Reply(status, {"description": description, "type": "upstream_error", "code": code})


def youchuan_error(status: int, description: str) -> Reply:
    """§0: an MJ submit refused by Youchuan keeps Youchuan's HTTP status and this body."""
    return Reply(status, {"code": 4, "description": description, "properties": None, "result": ""})


def build_failed(reason: str) -> Reply:
    """§0: the image/video payload builder refuses with HTTP 500 build_request_failed."""
    return task_error(500, "build_request_failed", f"build_ima_pro_payload_failed: {reason}")


def markers_of(*texts) -> set[str]:
    found = set()
    for text in texts:
        if isinstance(text, str):
            found.update(m.lower() for m in MARKER.findall(text))
        elif isinstance(text, (list, tuple)):
            found |= markers_of(*text)
    return found


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SimulatorApp:
    """WSGI callable. `base_url` of media links is taken from each request's Host header."""

    def __init__(self, config: SimConfig | None = None):
        self.config = config or SimConfig()
        self.state = State(self.config.state_path)
        # Per request (the threaded server runs many at once): base URL and calling account.
        self._request = threading.local()
        self._fetched: dict[str, object] = {}  # reference images already fetched, by URL
        self._fetched_lock = threading.Lock()
        self.media_dir = self.config.state_path.parent / (self.config.state_path.stem + "-media")
        self.media_dir.mkdir(parents=True, exist_ok=True)

    # --- WSGI plumbing ---------------------------------------------------------------------
    def __call__(self, environ, start_response):
        try:
            status, body, headers = self.handle(environ)
        except Reply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
        except Exception as exc:  # a simulator bug must look like an upstream 500, not hang
            status, body, headers = (
                500,
                {"code": "simulator_error", "message": repr(exc), "data": None},
                {},
            )
        if isinstance(body, bytes):
            payload = body
            headers.setdefault("Content-Type", "application/octet-stream")
        else:
            payload = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        headers["Content-Length"] = str(len(payload))
        start_response(f"{status} {'OK' if status < 400 else 'Error'}", list(headers.items()))
        return [payload]

    @property
    def base(self) -> str:
        return getattr(self._request, "base", "http://localhost")

    @property
    def account(self) -> str:
        """The calling key (without sk-): each key is its own account, like a Zcheap user."""
        return getattr(self._request, "account", "")

    def handle(self, environ):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        self._request.base = (
            f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', 'localhost')}"
        )
        self._request.account = ""
        if path.startswith("/__sim__/"):
            return self.sim_route(method, path)
        if self.config.latency:
            time.sleep(self.config.latency)
        # The MJ routes are also mounted under /<mode>/mj/... (mj-fast, mj-relax, mj-turbo, ...).
        modes = r"[a-z0-9-]+" if self.config.strict else r"mj-fast|mj-relax|mj-turbo"
        path = re.sub(rf"^/(?:{modes})(/mj/)", r"\1", path)
        if path.startswith("/mj/image/"):  # the image proxy needs no key
            return self.mj_image(path.rsplit("/", 1)[-1])
        if path == "/api/pricing" and method == "GET":  # the price list needs no key (§0)
            return 200, self.pricing(), {}
        self._request.account = self.check_auth(environ, path)
        body = self.read_json(environ, path) if method == "POST" else {}
        routes = [
            ("POST", r"/v1/images/generations", self.image_create),
            ("GET", r"/v1/images/generations/([^/]+)", self.image_fetch),
            ("POST", r"/v1/(?:videos|video/generations)", self.video_create),
            ("GET", r"/v1/videos/([^/]+)/content", self.video_content),
            ("GET", r"/v1/videos/([^/]+)", self.video_fetch),
            ("GET", r"/v1/video/generations/([^/]+)", self.video_fetch_wrapped),
            ("POST", r"/mj/submit/imagine", self.mj_imagine),
            ("POST", r"/mj/submit/blend", self.mj_blend),
            ("POST", r"/mj/submit/change", self.mj_change),
            ("POST", r"/mj/submit/action", self.mj_action),
            ("GET", r"/mj/task/([^/]+)/fetch", self.mj_fetch),
            ("POST", r"/mj/task/list-by-condition", self.mj_list),
            ("POST", r"/v1/assets/group/create", self.group_create),
            ("POST", r"/v1/assets/group/list", self.group_list),
            ("POST", r"/v1/assets/group/get", self.group_get),
            ("POST", r"/v1/assets/group/update", self.group_update),
            ("POST", r"/v1/assets/create", self.asset_create),
            ("POST", r"/v1/assets/list", self.asset_list),
            ("POST", r"/v1/assets/get", self.asset_get),
            ("POST", r"/v1/assets/update", self.asset_update),
            ("POST", r"/v1/assets/quota", self.asset_quota),
            ("POST", r"/v1/assets/delete", self.asset_delete),
            ("GET", r"(?:/v1)?/dashboard/billing/subscription", self.billing_subscription),
            ("GET", r"(?:/v1)?/dashboard/billing/usage", self.billing_usage),
            ("GET", r"/api/log/token", self.usage_log),
        ]
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and method == route_method:
                result = handler(body, *match.groups())
                return (200, result, {}) if not isinstance(result, tuple) else result
        raise openai_error(404, f"Invalid URL ({method} {path})", "invalid_request_error")

    def read_json(self, environ, path: str = "") -> dict:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        if self.config.strict and not raw.strip():
            # §0: an empty body on a route that binds JSON: gin's "EOF".
            if path.startswith("/v1/assets/"):
                raise self.fail("EOF")
            if path.startswith("/mj/"):
                raise mj_error(4, "bind_request_body_failed: EOF ")
            raise task_error(400, "invalid_request", "EOF")
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            raise task_error(400, "invalid_json", "invalid character in request body") from None
        if not isinstance(body, dict):
            raise task_error(400, "invalid_json", "request body must be an object")
        return body

    def check_auth(self, environ, path: str) -> str:
        """The account (key without sk-) of an accepted request; else the gateway's 401."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else header.strip()
        # §0: mj-api-secret works on every authenticated route (lenient: /mj/ only).
        if (self.config.strict or path.startswith("/mj/")) and token in ("", "midjourney-proxy"):
            token = environ.get("HTTP_MJ_API_SECRET", "").strip()
        token = token.removeprefix("sk-")
        if not token:
            raise openai_error(401, "未提供令牌")
        valid = {k.removeprefix("sk-") for k in self.config.valid_keys}
        if (valid and token not in valid) or token.startswith("invalid"):
            raise openai_error(401, "无效的令牌")
        return token

    # --- failure injection -----------------------------------------------------------------
    def inject_on_submit(self, marks: set[str], family: str) -> None:
        """Errors that happen before a task exists (the request is refused)."""
        marks = marks | ({self.config.inject} if self.config.inject else set())
        if self.account_is_empty():
            marks = marks | {"quota"}
        if "401" in marks:
            raise openai_error(401, "无效的令牌")
        if "quota" in marks:
            if family == "mj" and self.config.strict:  # Youchuan's own 402, passed through
                raise youchuan_error(402, "余额不足 (insufficient balance) ")
            raise openai_error(403, "用户额度不足 (user quota is not enough)", "new_api_error")
        if "upstream-401" in marks:
            if family == "mj":  # Youchuan's 401 (invalid app): not our key
                raise youchuan_error(401, "invalid app ")
            raise task_error(401, "Unauthorized", "upstream authentication failed")
        if "429" in marks:
            if family == "mj":
                raise mj_error(30, "当前分组上游负载已饱和，请稍后再试", status=429)
            raise Reply(
                429,
                {
                    "code": "rate_limited",
                    "message": "当前分组上游负载已饱和，请稍后再试",
                    "data": None,
                },
                {"Retry-After": "1"},
            )
        if "500" in marks:
            raise task_error(500, "do_request_failed", "请求上游地址失败")
        if "moderation" in marks:
            if family == "mj" and self.config.strict:  # §0: Youchuan's 403 + code 4
                raise youchuan_error(403, "Prompt包含敏感词汇 ")
            if family == "mj":
                raise mj_error(24, "sensitive prompt: banned word detected ")
            raise task_error(
                400,
                "InvalidParameter",
                "The request was rejected by content moderation (sensitive content)",
            )
        if "invalid" in marks:
            raise task_error(
                400, "invalid_request", "invalid parameter: the request could not be processed"
            )

    def inject_after_create(self, marks: set[str]):
        """Failures after the task was created: the caller cannot tell whether it went through."""
        marks = marks | ({self.config.inject} if self.config.inject else set())
        if "hang" in marks:
            time.sleep(self.config.hang_s)
        if "malformed" in marks:
            raise Reply(200, b'{"id": "task_', {"Content-Type": "application/json"})
        if "502" in marks:
            raise Reply(502, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})

    # --- task timing ----------------------------------------------------------------------
    def phase(self, task: dict) -> tuple[str, float]:
        """(queued|running|success|failure, fraction of the run done)."""
        kind = task["kind"]
        marks = set(filter(None, (task["markers"] or "").split(",")))
        queue_s, run_s = self.config.queue_s.get(kind, 1.0), self.config.run_s.get(kind, 3.0)
        if "late" in marks:
            run_s += self.config.late_s
        elapsed = time.time() - task["created"]
        if elapsed < queue_s:
            return "queued", elapsed / queue_s
        if elapsed < queue_s + run_s:
            return "running", (elapsed - queue_s) / run_s
        return ("failure" if "fail" in marks else "success"), 1.0

    def finished_at(self, task: dict) -> float:
        marks = (task["markers"] or "").split(",")
        late = self.config.late_s if "late" in marks else 0.0
        return task["created"] + self.config.total_s(task["kind"]) + late

    def maybe_flaky_fetch(self, task: dict) -> None:
        marks = (task["markers"] or "").split(",")
        if "poll-500" in marks and self.state.count_fetch(task["id"]) <= 2:
            raise task_error(503, "get_task_failed", "temporarily unavailable")
        if "poll-malformed" in marks and self.state.count_fetch(task["id"]) <= 1:
            raise Reply(200, b"{not json", {"Content-Type": "application/json"})

    def media_url(self, task_id: str, n: int, ext: str = "png") -> str:
        return f"{self.base}/__sim__/media/{task_id}/{n}.{ext}"

    def new_task_id(self) -> str:
        return "task_" + "".join(secrets.choice(ALNUM) for _ in range(32))

    # --- images ----------------------------------------------------------------------------
    def image_create(self, body: dict):
        model, prompt = body.get("model") or "", body.get("prompt") or ""
        marks = markers_of(prompt)
        self.inject_on_submit(marks, "image")
        if model not in IMAGE_MODELS:
            raise task_error(400, "invalid_request", f"model must use upstream id: {model}")
        if not prompt.strip():
            raise task_error(400, "invalid_request", "prompt is required")
        if body.get("image") and body.get("images"):
            raise task_error(400, "invalid_request", "image and images cannot be used together")
        images = body.get("images") or ([body["image"]] if body.get("image") else [])
        if self.config.strict:
            self.check_image_request(model, prompt, body, images)
        params = {
            "aspect_ratio": body.get("aspect_ratio")
            or (body.get("metadata") or {}).get("aspect_ratio"),
            "size": body.get("size") or "1K",
            "images": images,
        }
        task_id = self.new_task_id()
        self.state.add_task(
            task_id,
            "image",
            "generate",
            model,
            prompt,
            params,
            markers=",".join(sorted(marks)),
            account=self.account,
        )
        self.state.bump("submit.image")
        self.inject_after_create(marks)
        return {
            "id": task_id,
            "task_id": task_id,
            "object": "image",
            "model": model,
            "status": random.choice(["", "queued"]),
            "progress": 0,
            "created_at": int(time.time()),
        }

    def check_image_request(self, model: str, prompt: str, body: dict, images: list) -> None:
        """§0: the backend's payload rules; every failure is HTTP 500 build_request_failed."""
        if len(prompt) > 10_000:
            raise build_failed("prompt must be at most 10000 characters")
        size = body.get("size") or "1K"
        if size not in IMAGE_SIZES[model]:
            raise build_failed(f"unsupported size {size} for {model}")
        ratio = body.get("aspect_ratio") or (body.get("metadata") or {}).get("aspect_ratio")
        if ratio and ratio not in IMAGE_RATIOS[model]:
            raise build_failed(f"unsupported aspect_ratio {ratio} for {model}")
        if len(images) > 14:
            raise build_failed("at most 14 reference images")
        for url in images:
            name = urlsplit(str(url)).path.rsplit("/", 1)[-1]
            if "." in name and name.rsplit(".", 1)[1].lower() not in REFERENCE_EXTENSIONS:
                raise build_failed(f"unsupported image format: {name.rsplit('.', 1)[1]}")

    def image_fetch(self, _body, task_id: str):
        task = self.state.task(task_id, self.account)
        # §0: a fetch finds any of the caller's tasks by id (a video id answers here too).
        allowed = ("image", "video") if self.config.strict else ("image",)
        if not task or task["kind"] not in allowed:
            raise task_error(400, "task_not_exist")
        self.maybe_flaky_fetch(task)
        phase, fraction = self.phase(task)
        data = {
            "task_id": task_id,
            "status": "processing",
            "format": "mp4",
            "url": "",
            "error": None,
            "metadata": None,
        }
        if phase == "queued":
            # Quirk: right after submit (NOT_START) the fetch says "processing", then "queued".
            data["status"] = "processing" if fraction < 0.3 else "queued"
        elif phase == "success":
            data.update(
                status="succeeded",
                format="png" if task["kind"] == "image" else "mp4",
                url=self.media_url(task_id, 0),
                usage={
                    "input_tokens": len(task["prompt"]) // 4 + 5,
                    "output_tokens": 1290,
                    "total_tokens": len(task["prompt"]) // 4 + 1295,
                },
            )
        elif phase == "failure":
            reason = "upstream task failed: image generation error (task_code=500)"
            if self.config.strict:
                # §0: the realtime answer keeps error null and puts the reason in `url`.
                data.update(status="failed", url=reason)
            else:
                data.update(
                    status="failed",
                    format="png",
                    error={"message": reason},
                    usage={"input_tokens": 0, "output_tokens": 0, "total_tokens": 0},
                )
        if phase == "success" and "realtime" in (task["markers"] or "").split(","):
            data["format"] = "mp4"  # §0: a realtime answer: format mp4, no usage
            data.pop("usage", None)
        return {"code": "success", "message": "", "data": data}

    # --- video -----------------------------------------------------------------------------
    def video_create(self, body: dict):
        model = body.get("model")
        prompt = body.get("prompt") or ""
        metadata = body.get("metadata") or {}
        marks = markers_of(prompt)
        if not model:
            raise task_error(400, "missing_model", "model field is required")
        if model in IMAGE_MODELS:
            raise task_error(400, "invalid_model_endpoint", f"model {model} is not a video model")
        if model not in VIDEO_MODELS:
            raise task_error(400, "model_price_error", f"model {model} has no price configured")
        self.inject_on_submit(marks, "video")
        images = (
            body.get("images")
            or ([body["image"]] if body.get("image") else [])
            or ([body["input_reference"]] if body.get("input_reference") else [])
        )
        ref_videos = self._urls(
            metadata, "reference_video_urls", "video_urls", "reference_video_url", "video_url"
        )
        ref_audios = self._urls(
            metadata, "reference_audio_urls", "audio_urls", "reference_audio_url", "audio_url"
        )
        if not prompt.strip() and not (
            model in {"ima-pro", "ima-pro-fast"} and (images or ref_videos or ref_audios)
        ):
            raise task_error(400, "invalid_request", "prompt is required")
        role_mode = (
            metadata.get("role_mode")
            or metadata.get("roleMode")
            or metadata.get("image_role_mode")
            or "reference"
        )
        if role_mode not in {"reference", "frame"}:
            raise task_error(
                500,
                "build_request_failed",
                f"build_ima_pro_payload_failed: unknown role_mode {role_mode}",
            )
        if role_mode == "frame" and not 1 <= len(images) <= 2:
            raise task_error(
                500,
                "build_request_failed",
                "build_ima_pro_payload_failed: frame mode needs 1 or 2 images",
            )
        if role_mode == "frame" and (ref_videos or ref_audios):
            raise task_error(
                500,
                "build_request_failed",
                "build_ima_pro_payload_failed: frame mode cannot be mixed with reference video/audio",
            )
        if len(images) > 14:
            raise task_error(400, "InvalidParameter", "too many images: at most 14")
        duration = body.get("duration") or (
            int(float(body["seconds"]))
            if str(body.get("seconds", "")).replace(".", "").isdecimal()
            else 5
        )
        aspect = (
            body.get("aspect_ratio")
            or metadata.get("aspect_ratio")
            or metadata.get("aspectRatio")
            or "16:9"
        )
        resolution = metadata.get("resolution") or "720p"
        if body.get("size"):
            match = re.match(r"(\d+)x(\d+)", body["size"])
            if match:
                w, h = int(match.group(1)), int(match.group(2))
                resolution = f"{min(w, h)}p"
                aspect = f"{w}:{h}"
        if self.config.strict and model.endswith("-fast") and resolution == "1080p":
            raise task_error(
                400,
                "unsupported_resolution_for_fast_variant",
                f"{model} supports 480p and 720p only",
            )
        params = {
            "images": images,
            "with_video": bool(ref_videos),
            "duration": int(duration),
            "aspect_ratio": aspect,
            "resolution": resolution,
            "role_mode": role_mode,
            "audio": bool(metadata.get("audio") or metadata.get("enable_audio")),
        }
        task_id = self.new_task_id()
        self.state.add_task(
            task_id,
            "video",
            "generate",
            model,
            prompt,
            params,
            markers=",".join(sorted(marks)),
            account=self.account,
        )
        self.state.bump("submit.video")
        self.inject_after_create(marks)
        return {
            "id": task_id,
            "task_id": task_id,
            "object": "video",
            "model": model,
            "status": "",
            "progress": 0,
            "created_at": int(time.time()),
        }

    @staticmethod
    def _urls(metadata: dict, *keys) -> list[str]:
        for key in keys:
            value = metadata.get(key)
            if value:
                values = value if isinstance(value, list) else [value]
                return [v["url"] if isinstance(v, dict) else v for v in values]
        return []

    def video_object(self, task: dict) -> dict:
        phase, fraction = self.phase(task)
        obj = {
            "id": task["id"],
            "task_id": task["id"],
            "object": "video",
            "model": task["model"],
            "created_at": int(task["created"]),
            "progress": 0,
        }
        if self.config.strict:
            obj["metadata"] = {"url": ""}  # §0: always present, "" while running
        if phase == "queued":
            obj.update(
                status="unknown" if fraction < 0.3 else "queued",
                progress=0 if fraction < 0.3 else 20,
            )
        elif phase == "running":
            obj.update(status="in_progress", progress=30 + int(fraction * 65))
        elif phase == "success":
            p = task["params"]
            w_r, h_r = media.parse_ratio(p.get("aspect_ratio"), (16, 9))
            short = {"480p": 480, "720p": 720, "1080p": 1080}.get(p.get("resolution"), 720)
            width, height = (
                (short * w_r // h_r, short) if w_r >= h_r else (short, short * h_r // w_r)
            )
            url = self.media_url(task["id"], 0, "mp4")
            obj.update(
                status="completed",
                progress=100,
                completed_at=int(self.finished_at(task)),
                metadata={"url": url},
                results=[
                    {
                        "url": url,
                        "content_type": "video",
                        "width": width,
                        "height": height,
                        "duration": p.get("duration", 5),
                    }
                ],
                usage={
                    "completion_tokens": billing.video_tokens(task),
                    "total_tokens": billing.video_tokens(task),
                },
            )
            if self.config.strict and task["model"].startswith("ima-pro"):
                obj["amount_usd"] = self.video_price(task)  # §0: what the task cost
        else:
            reason = "video generation failed upstream (task_code=601400)"
            obj.update(
                status="failed",
                progress=100,
                completed_at=int(self.finished_at(task)),
                error={
                    "code": "task_failed" if self.config.strict else "InternalServiceError",
                    "message": reason,
                },
            )
            if self.config.strict:
                obj["metadata"] = {"url": reason}  # §0: the fail reason sits here too
        return obj

    @staticmethod
    def video_price(task: dict) -> float:
        """What the task was charged (the price list's per-token SKU price), in USD."""
        return round(billing.task_quota(task) / billing.QUOTA_PER_USD, 6)

    def _video_task(self, task_id: str) -> dict:
        task = self.state.task(task_id, self.account)
        if not task or task["kind"] != "video":
            raise task_error(400, "task_not_exist")
        self.maybe_flaky_fetch(task)
        return task

    def video_fetch(self, _body, task_id: str):
        return self.video_object(self._video_task(task_id))

    def video_fetch_wrapped(self, _body, task_id: str):
        obj = self.video_object(self._video_task(task_id))
        internal = {
            "queued": "QUEUED",
            "unknown": "NOT_START",
            "in_progress": "IN_PROGRESS",
            "completed": "SUCCESS",
            "failed": "FAILURE",
        }[obj["status"]]
        return {
            "code": "success",
            "message": "",
            "data": {
                "task_id": task_id,
                "status": internal,
                "progress": f"{obj['progress']}%",
                "result_url": (obj.get("metadata") or {}).get("url", ""),
                "fail_reason": (obj.get("error") or {}).get("message", ""),
            },
        }

    def video_content(self, _body, task_id: str):
        if self.config.strict:  # §0: OpenAI-shaped errors on the content route
            task = self.state.task(task_id, self.account)
            if not task or task["kind"] != "video":
                raise openai_error(404, f"task {task_id} not found", "invalid_request_error")
            if self.phase(task)[0] != "success":
                raise openai_error(400, "task is not completed yet", "invalid_request_error")
            return 200, self.render(task, 0, "mp4"), {"Content-Type": "video/mp4"}
        task = self._video_task(task_id)
        if self.phase(task)[0] != "success":
            raise task_error(400, "task_not_completed", "task is not completed")
        return 200, self.render(task, 0, "mp4"), {"Content-Type": "video/mp4"}

    # --- Midjourney ------------------------------------------------------------------------
    def new_mj_id(self) -> str:
        return str(int(time.time() * 1000)) + "".join(
            secrets.choice(string.digits) for _ in range(6)
        )

    def mj_submitted(self, task_id: str):
        return {"code": 1, "description": "submitted", "result": task_id, "properties": None}

    def mj_imagine(self, body: dict):
        prompt = (body.get("prompt") or "").strip()
        if not prompt:
            raise mj_error(4, "prompt_is_required ")
        marks = markers_of(prompt)
        self.inject_on_submit(marks, "mj")
        task_id = self.new_mj_id()
        self.state.add_task(
            task_id,
            "mj",
            "IMAGINE",
            "midjourney",
            prompt,
            {"state": body.get("state", "")},
            markers=",".join(sorted(marks)),
            account=self.account,
        )
        self.state.bump("submit.mj")
        self.inject_after_create(marks)
        return self.mj_submitted(task_id)

    def mj_blend(self, body: dict):
        images = body.get("base64Array") or []
        if not isinstance(images, list) or not 2 <= len(images) <= 5:
            raise mj_error(4, "base64List must have 2 to 5 images ")
        prompt = body.get("prompt") or ""
        marks = markers_of(prompt)
        self.inject_on_submit(marks, "mj")
        dimensions = (body.get("dimensions") or "SQUARE").upper()
        task_id = self.new_mj_id()
        self.state.add_task(
            task_id,
            "mj",
            "BLEND",
            "midjourney",
            prompt,
            {"images": images, "dimensions": dimensions},
            markers=",".join(sorted(marks)),
            account=self.account,
        )
        self.state.bump("submit.mj")
        return self.mj_submitted(task_id)

    def mj_change(self, body: dict):
        action = (body.get("action") or "").upper()
        if not action:
            raise mj_error(4, "action_is_required ")
        if action not in MJ_CHANGE_ACTIONS:
            raise mj_error(4, f"unknown_action:{action} ")
        parent = self.state.task(str(body.get("taskId") or ""), self.account)
        if not parent or parent["kind"] != "mj":
            raise mj_error(4, "task_not_found ")
        if self.phase(parent)[0] != "success":
            raise mj_error(4, "task_status_not_success ")
        index = body.get("index")
        try:
            index = int(index or 0)
        except (TypeError, ValueError):
            index = 0
        if index < 1:
            raise mj_error(4, "index_is_required ")
        if index > 4 and not self.config.strict:  # §0: the gateway checks no upper bound
            raise mj_error(4, "index_out_of_range ")
        index = min(index, 4)
        if action == "REMIX" and not (body.get("prompt") or "").strip():
            raise mj_error(4, "prompt_is_required ")
        prompt = body.get("prompt") or ""
        marks = markers_of(prompt)  # markers in a remix/extra prompt steer the child task
        self.inject_on_submit(marks, "mj")
        task_id = self.new_mj_id()
        # §0: the stored gateway drops direction/scale/mode and sends the parent's prompt on.
        kept = (
            ("maskBase64",) if self.config.strict else ("direction", "scale", "mode", "maskBase64")
        )
        params = {k: body.get(k) for k in kept if body.get(k) not in (None, "")}
        params["remix_prompt"] = "" if self.config.strict else prompt
        self.state.add_task(
            task_id,
            "mj",
            action,
            "midjourney",
            parent["prompt"],
            params,
            parent=parent["id"],
            pindex=index,
            markers=",".join(sorted(marks)),
            account=self.account,
        )
        self.state.bump("submit.mj")
        return self.mj_submitted(task_id)

    def mj_action(self, body: dict):
        custom_id = (body.get("customId") or "").strip()
        if not custom_id:
            raise mj_error(4, "custom_id_is_required ")
        for pattern, action, fixed_index in CUSTOM_ID_RULES:
            match = pattern.search(custom_id)
            if not match:
                continue
            change = {"taskId": body.get("taskId"), "action": action, "index": fixed_index}
            groups = match.groups()
            if action == "PAN":
                change["direction"] = {"down": 0, "right": 1, "up": 2, "left": 3}[groups[0]]
                change["index"] = int(groups[1])
            elif action == "ZOOM":
                change["scale"] = 2.0 if groups[0] == "50" else 1.5
                change["index"] = int(groups[1])
            elif fixed_index is None:
                parts = custom_id.split("::")
                change["index"] = (
                    int(groups[0])
                    if groups and groups[0].isdecimal()
                    else int(parts[3])
                    if len(parts) > 3 and parts[3].isdecimal()
                    else 0
                )
            return self.mj_change(change)
        raise mj_error(4, f"unknown_action:{custom_id} ")

    def single_grid_url(self, task: dict) -> bool:
        """Whether this grid task answers with one URL (the 2x2 grid as one picture), §0."""
        marks = set((task["markers"] or "").split(","))
        if "grid-url" in marks:
            return True
        if "four-urls" in marks or self.config.mj_single_url == "never":
            return False
        return self.config.mj_single_url == "always" or media.seed_of(task["id"]) % 2 == 0

    def mj_object(self, task: dict) -> dict:
        phase, _ = self.phase(task)
        submit_ms = int(task["created"] * 1000)
        obj = {
            "id": task["id"],
            "mj_id": task["id"],
            "action": task["action"],
            "customId": "",
            "botType": "",
            "prompt": task["prompt"],
            "promptEn": "",
            "description": "submitted",
            "state": "",
            "submitTime": submit_ms,
            "startTime": 0,
            "finishTime": 0,
            "imageUrl": "",
            "urls": [],
            "videoUrl": "",
            "videoUrls": None,
            "status": "",
            "progress": "0%",
            "failReason": "",
            "buttons": None,
            "maskBase64": "",
            "properties": None,
        }
        if self.config.strict:
            # §0: no mj_id; `urls` absent (omitempty) and imageUrl "" until success.
            del obj["mj_id"], obj["urls"]
        if phase in ("running", "success", "failure"):
            obj["startTime"] = submit_ms + int(self.config.queue_s.get("mj", 1.0) * 1000)
        if phase == "running":
            obj["progress"] = "50%"
            if not self.config.strict:
                obj["imageUrl"] = f"{self.base}/mj/image/{task['id']}?rand={time.time_ns()}"
        elif phase == "success":
            if task["action"] == "UPSCALE":
                urls = [self.media_url(task["id"], 0)]
            elif self.single_grid_url(task):
                urls = [self.media_url(task["id"], "grid")]
            else:
                urls = [self.media_url(task["id"], n) for n in range(4)]
            remix = (task["params"].get("remix_prompt") or "").strip()
            obj.update(
                status="SUCCESS",
                progress="100%",
                finishTime=int(self.finished_at(task) * 1000),
                imageUrl=f"{self.base}/mj/image/{task['id']}",
                urls=urls,
                properties={"finalPrompt": remix or task["prompt"], "finalZhPrompt": ""},
            )
        elif phase == "failure":
            obj.update(
                status="FAILURE",
                progress="100%",
                finishTime=int(self.finished_at(task) * 1000),
                failReason="图片审核未通过 (audit failed: the result was blocked)",
            )
        return obj

    def mj_fetch(self, _body, task_id: str):
        task = self.state.task(task_id, self.account)
        if not task or task["kind"] != "mj":
            raise mj_error(4, "task_no_found ")
        self.maybe_flaky_fetch(task)
        return self.mj_object(task)

    def mj_list(self, body: dict):
        ids = body.get("ids") or []
        if not isinstance(ids, list):
            if self.config.strict:  # §0
                raise Reply(400, {"error": "do_request_failed "})
            raise mj_error(4, "ids must be a list ")
        tasks = [self.state.task(str(i), self.account) for i in ids[:500]]
        return [self.mj_object(t) for t in tasks if t and t["kind"] == "mj"]

    def mj_image(self, task_id: str):
        task = self.state.task(task_id)
        if not task or task["kind"] != "mj":
            raise Reply(400, {"error": "midjourney_task_not_found"})
        if self.config.strict and self.phase(task)[0] != "success":
            raise Reply(500, {"error": "http_get_image_failed"})  # §0: nothing stored yet
        return 200, self.render(task, "grid", "png"), {"Content-Type": "image/png"}

    # --- assets (family E: HTTP 200 with success:false on errors) ---------------------------
    def ok(self, data):
        return {"success": True, "message": "", "data": data}

    @staticmethod
    def fail(message: str) -> Reply:
        return Reply(200, {"success": False, "message": message})

    @staticmethod
    def pick(body: dict, *names, default=None):
        for name in names:
            if body.get(name) not in (None, ""):
                return body[name]
        return default

    def new_asset_id(self, prefix: str) -> str:
        suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        return f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-{suffix}"

    def group_item(self, row: dict) -> dict:
        return {
            "Id": row["id"],
            "Name": row["name"],
            "Title": "",
            "Description": row["description"] or "",
            "GroupType": row["group_type"],
            "ProjectName": row["project_name"],
            "CreateTime": iso(row["created"]),
            "UpdateTime": iso(row["updated"]),
        }

    def asset_status(self, row: dict) -> tuple[str, dict | None]:
        if time.time() - row["created"] < self.config.asset_review_s:
            return "Processing", None
        if "asset-fail" in markers_of(row["name"], row["url"]):
            return "Failed", {
                "Code": "InvalidParameter.Content",
                "Message": "the asset did not pass review (content not allowed)",
            }
        return "Active", None

    def asset_item(self, row: dict) -> dict:
        status, error = self.asset_status(row)
        item = {
            "Id": row["id"],
            "Name": row["name"] or "",
            "URL": row["url"],
            "GroupId": row["group_id"],
            "AssetType": row["asset_type"],
            "Status": status,
            "ProjectName": row["project_name"],
            "CreateTime": iso(row["created"]),
            "UpdateTime": iso(row["updated"]),
        }
        if error:
            item["Error"] = error
        return item

    def group_create(self, body: dict):
        name = self.pick(body, "name", "Name", default="")
        if not name:
            raise self.fail(
                "Key: 'AssetGroupCreateRequest.Name' Error:Field validation for 'Name' failed on the 'required' tag"
            )
        if len(name) > 64:
            raise self.fail(
                "Key: 'AssetGroupCreateRequest.Name' Error:Field validation for 'Name' failed on the 'max' tag"
            )
        description = self.pick(body, "description", "Description", default="")
        if len(description) > 300:
            raise self.fail(
                "Key: 'AssetGroupCreateRequest.Description' Error:Field validation for 'Description' failed on the 'max' tag"
            )
        model = self.pick(body, "model", default="ima-pro-upload")
        if model not in {"ima-pro-upload", "ima-pro-upload-cn", "seedance-upload"}:
            raise self.fail(f"model {model} is not available for your group")
        now = time.time()
        row = {
            "id": self.new_asset_id("group"),
            "name": name,
            "description": description,
            "group_type": self.pick(body, "group_type", "groupType", default="AIGC"),
            "project_name": self.pick(body, "project_name", "projectName", default="default"),
            "model": model,
            "created": now,
            "updated": now,
            "account": self.account,
        }
        self.state.execute(
            "INSERT INTO groups(id, name, description, group_type, project_name, model, created,"
            " updated, account) VALUES (:id, :name, :description, :group_type, :project_name,"
            " :model, :created, :updated, :account)",
            row,
        )
        self.state.bump("submit.asset_group")
        return self.ok(self.group_item(row))

    def _paging(self, body: dict) -> tuple[int, int, str]:
        page = max(1, int(self.pick(body, "page_number", "PageNumber", default=1) or 1))
        size = max(1, min(100, int(self.pick(body, "page_size", "PageSize", default=10) or 10)))
        order = (
            "ASC"
            if str(self.pick(body, "sort_order", default="Desc")).lower().startswith("asc")
            else "DESC"
        )
        return page, size, order

    def group_list(self, body: dict):
        filters = body.get("filters") or {}
        page, size, order = self._paging(body)
        sql, args = "SELECT * FROM groups WHERE deleted = 0 AND account = ?", [self.account]
        if filters.get("name"):
            sql += " AND name LIKE ?"
            args.append(f"%{filters['name']}%")
        if filters.get("group_ids"):
            sql += f" AND id IN ({','.join('?' * len(filters['group_ids']))})"
            args += list(filters["group_ids"])
        if filters.get("group_type"):
            sql += " AND group_type = ?"
            args.append(filters["group_type"])
        rows = self.state.all(
            sql + f" ORDER BY created {order}, id {order} LIMIT ? OFFSET ?",
            (*args, size, (page - 1) * size),
        )
        items = [self.group_item(r) for r in rows]
        total = len(items)
        if self.config.strict:  # §0: group/list passes the upstream TotalCount on unchanged
            count_sql = "SELECT COUNT(*) AS n FROM (" + sql + ")"  # noqa: S608 (placeholders only)
            total = self.state.one(count_sql, tuple(args))["n"]
        return self.ok({"Items": items, "TotalCount": total, "PageNumber": page, "PageSize": size})

    def _group(self, group_id: str) -> dict:
        row = self.state.one(
            "SELECT * FROM groups WHERE id = ? AND deleted = 0 AND account = ?",
            (group_id or "", self.account),
        )
        if not row:
            raise self.fail("asset group not found")
        return row

    def group_get(self, body: dict):
        return self.ok(self.group_item(self._group(self.pick(body, "id", "Id", default=""))))

    def group_update(self, body: dict):
        row = self._group(self.pick(body, "id", "Id", default=""))
        name = self.pick(body, "name", "Name", default=row["name"])
        if len(name) > 64:
            raise self.fail(
                "Key: 'AssetGroupUpdateRequest.Name' Error:Field validation for 'Name' failed on the 'max' tag"
            )
        description = body.get("description", body.get("Description", row["description"]))
        self.state.execute(
            "UPDATE groups SET name = ?, description = ?, updated = ? WHERE id = ?",
            (name, description, time.time(), row["id"]),
        )
        return self.ok({"Id": row["id"]})

    def live_asset_count(self) -> int:
        return self.state.one(
            "SELECT COUNT(*) AS n FROM assets WHERE deleted = 0 AND account = ?", (self.account,)
        )["n"]

    def asset_create(self, body: dict):
        group_id = self.pick(body, "group_id", "groupId", "GroupId", default="")
        url = self.pick(body, "url", "Url", "URL", default="")
        if not group_id:
            raise self.fail(
                "Key: 'AssetCreateRequest.GroupId' Error:Field validation for 'GroupId' failed on the 'required' tag"
            )
        if not url:
            raise self.fail(
                "Key: 'AssetCreateRequest.URL' Error:Field validation for 'URL' failed on the 'required' tag"
            )
        if not self.config.asset_quota_enabled:
            raise self.fail("asset feature is disabled")
        group = self._group(group_id)
        if self.live_asset_count() >= self.config.asset_quota_max:
            raise self.fail(f"asset count exceeds max limit {self.config.asset_quota_max}")
        if urlsplit(url).scheme not in {"http", "https"}:
            raise self.fail(
                "doubao asset request failed: invalid url (code=InvalidParameter, log_id=sim)"
            )
        asset_type = self.pick(body, "asset_type", "assetType", default="Image")
        if asset_type not in {"Image", "Video", "Audio"}:
            raise self.fail(
                f"doubao asset request failed: invalid asset type {asset_type} (code=InvalidParameter, log_id=sim)"
            )
        now = time.time()
        row = {
            "id": self.new_asset_id("asset"),
            "group_id": group["id"],
            "name": self.pick(body, "name", "Name", default=""),
            "url": url,
            "asset_type": asset_type,
            "project_name": group["project_name"],
            "created": now,
            "updated": now,
            "account": self.account,
        }
        self.state.execute(
            "INSERT INTO assets(id, group_id, name, url, asset_type, project_name, created,"
            " updated, account) VALUES (:id, :group_id, :name, :url, :asset_type, :project_name,"
            " :created, :updated, :account)",
            row,
        )
        self.state.bump("submit.asset")
        return self.ok({"Id": row["id"]})

    def asset_list(self, body: dict):
        filters = body.get("filters") or {}
        page, size, order = self._paging(body)
        sql, args = "SELECT * FROM assets WHERE deleted = 0 AND account = ?", [self.account]
        if filters.get("group_ids"):
            sql += f" AND group_id IN ({','.join('?' * len(filters['group_ids']))})"
            args += list(filters["group_ids"])
        if filters.get("name"):
            sql += " AND name LIKE ?"
            args.append(f"%{filters['name']}%")
        rows = self.state.all(sql + f" ORDER BY created {order}, id {order}", tuple(args))
        items = [self.asset_item(r) for r in rows]
        if filters.get("statuses"):
            items = [i for i in items if i["Status"] in set(filters["statuses"])]
        items = items[(page - 1) * size : page * size]
        return self.ok(
            {"Items": items, "TotalCount": len(items), "PageNumber": page, "PageSize": size}
        )

    def _asset(self, asset_id: str) -> dict:
        row = self.state.one(
            "SELECT * FROM assets WHERE id = ? AND deleted = 0 AND account = ?",
            (asset_id or "", self.account),
        )
        if not row:
            raise self.fail("asset not found")
        return row

    def asset_get(self, body: dict):
        return self.ok(self.asset_item(self._asset(self.pick(body, "id", "Id", default=""))))

    def asset_update(self, body: dict):
        row = self._asset(self.pick(body, "id", "Id", default=""))
        name = self.pick(body, "name", "Name", default="")
        if not name:
            raise self.fail(
                "Key: 'AssetUpdateRequest.Name' Error:Field validation for 'Name' failed on the 'required' tag"
            )
        self.state.execute(
            "UPDATE assets SET name = ?, updated = ? WHERE id = ?", (name, time.time(), row["id"])
        )
        return self.ok({"Id": row["id"]})

    def asset_quota(self, _body: dict):
        return self.ok(
            {
                "enabled": self.config.asset_quota_enabled,
                "max_count_per_user": self.config.asset_quota_max,
                "current_count": self.live_asset_count(),
            }
        )

    def asset_delete(self, body: dict):
        row = self._asset(self.pick(body, "id", "Id", default=""))
        self.state.execute("UPDATE assets SET deleted = 1 WHERE id = ?", (row["id"],))
        return self.ok({"deleted": True})

    # --- money (§0): price list, billing routes (bare OpenAI-style objects), usage log --------
    def account_is_empty(self) -> bool:
        """Accounts in `empty_keys` have used all their quota: billing says nothing is left and
        their submits are refused for quota."""
        return self.account in {k.removeprefix("sk-") for k in self.config.empty_keys}

    def pricing(self):
        if self.config.pricing_down:
            return {"success": False, "message": "pricing is not available right now"}
        return billing.price_list()

    def _billing_check(self) -> None:
        if self.config.billing_down:  # §0: HTTP 200 with an OpenAI-style error object
            raise Reply(
                200, {"error": {"message": "billing is not available", "type": "upstream_error"}}
            )

    def display(self, usd: float) -> float:
        """USD in the unit the gateway shows money in (its display setting)."""
        unit = self.config.money_unit.upper()
        if unit == "CNY":
            return usd * self.config.usd_rate
        if unit == "TOKENS":
            return usd * billing.QUOTA_PER_USD
        return usd

    def account_log(self) -> list[dict]:
        """The calling account's charges and refunds, oldest first, from what it ran."""
        lines: list[tuple[float, int, str, int, str]] = []
        for task in self.state.all(
            "SELECT * FROM tasks WHERE account = ? ORDER BY created, id", (self.account,)
        ):
            task["params"] = json.loads(task["params"] or "{}")
            quota, model = billing.task_quota(task), billing.billing_model(task)
            lines.append((task["created"], billing.LOG_CONSUME, model, quota, task["id"]))
            if self.phase(task)[0] == "failure":  # a failed task gives its charge back
                refund_at = self.finished_at(task)
                lines.append((refund_at, billing.LOG_REFUND, model, quota, task["id"]))
        for asset in self.state.all(
            "SELECT id, created FROM assets WHERE account = ?", (self.account,)
        ):
            quota = billing.asset_quota()
            lines.append(
                (asset["created"], billing.LOG_CONSUME, "ima-pro-upload", quota, asset["id"])
            )
        lines.sort(key=lambda line: line[0])
        return [billing.log_line(n, *line) for n, line in enumerate(lines, 1)]

    def used_usd(self) -> float:
        used = 0
        for line in self.account_log():
            used += line["quota"] if line["type"] == billing.LOG_CONSUME else -line["quota"]
        return used / billing.QUOTA_PER_USD

    def billing_subscription(self, _body):
        self._billing_check()
        total = self.display(self.state.limit_usd(self.account, self.config.account_limit_usd))
        return {
            "object": "billing_subscription",
            "has_payment_method": True,
            "soft_limit_usd": total,
            "hard_limit_usd": total,
            "system_hard_limit_usd": total,
            "access_until": 0,
        }

    def billing_usage(self, _body):
        self._billing_check()
        if self.account_is_empty():
            limit = self.state.limit_usd(self.account, self.config.account_limit_usd)
            return {"object": "list", "total_usage": round(self.display(limit) * 100, 4)}
        return {"object": "list", "total_usage": round(self.display(self.used_usd()) * 100, 4)}

    def usage_log(self, _body):
        return {"success": True, "message": "", "data": self.account_log()[::-1][:500]}

    # --- simulator-only routes: media files, stats, out-of-band changes for tests ----------
    def sim_route(self, method: str, path: str):
        if path == "/__sim__/stats":
            counters = self.state.counters()
            return (
                200,
                {
                    "submits": {
                        k.split(".", 1)[1]: v
                        for k, v in counters.items()
                        if k.startswith("submit.")
                    },
                    "tasks": self.state.one("SELECT COUNT(*) AS n FROM tasks")["n"],
                },
                {},
            )
        match = re.fullmatch(r"/__sim__/media/([^/]+)/(\d+|grid)\.(png|mp4)", path)
        if match and method == "GET":
            task = self.state.task(match.group(1))
            if not task or self.phase(task)[0] != "success":
                raise Reply(404, b"not found", {"Content-Type": "text/plain"})
            if (
                "expire" in (task["markers"] or "").split(",")
                and time.time() > self.finished_at(task) + self.config.expire_s
            ):
                raise Reply(404, b"expired", {"Content-Type": "text/plain"})
            n = match.group(2)
            body = self.render(task, n if n == "grid" else int(n), match.group(3))
            return (
                200,
                body,
                {"Content-Type": "video/mp4" if match.group(3) == "mp4" else "image/png"},
            )
        raise Reply(404, b"not found", {"Content-Type": "text/plain"})

    # --- rendering (cached on disk; rendering is deterministic per task) ---------------------
    def render(self, task: dict, n, ext: str) -> bytes:
        cache = self.media_dir / f"{task['id']}-{n}.{ext}"
        if cache.exists():
            return cache.read_bytes()
        data = (
            media.video(**self.video_args(task))
            if ext == "mp4"
            else media.png(self.picture(task, n))
        )
        tmp = cache.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_bytes(data)
        tmp.replace(cache)
        return data

    def video_args(self, task: dict) -> dict:
        p = task["params"]
        first = (
            self.fetch_image(p["images"][0])
            if p.get("role_mode") == "frame" and p.get("images")
            else None
        )
        return {
            "prompt": task["prompt"],
            "seed": media.seed_of(task["id"]),
            "duration": p.get("duration", 5),
            "ratio": p.get("aspect_ratio") or "16:9",
            "resolution": p.get("resolution") or "720p",
            "first_frame": first,
        }

    def picture(self, task: dict, n):
        """The n-th result image of TASK (n = "grid" for the MJ grid)."""
        from PIL import Image

        prompt, seed = task["prompt"], media.seed_of(task["id"])
        if task["kind"] == "image":
            p = task["params"]
            long_edge = media.SIZE_LONG_EDGE.get(p.get("size") or "1K", 512)
            size = media.dims(media.parse_ratio(p.get("aspect_ratio")), long_edge)
            refs = [
                img
                for img in (self.fetch_image(u) for u in p.get("images", [])[:4])
                if img is not None
            ]
            return media.with_references(media.scene(prompt, size, seed), refs)
        if n == "grid":
            return media.grid([self.picture(task, i) for i in range(4)])
        action = task["action"]
        tile = media.dims(media.mj_ratio(prompt), media.MJ_TILE)
        if action == "IMAGINE":
            return media.scene(prompt, tile, seed + n, label=f"{n + 1}")
        if action == "BLEND":
            dims = {"PORTRAIT": (2, 3), "LANDSCAPE": (3, 2)}.get(
                task["params"].get("dimensions"), (1, 1)
            )
            sources = [
                img
                for img in (self.fetch_image(u) for u in task["params"].get("images", []))
                if img is not None
            ]
            blended = media.blend(sources, media.dims(dims, media.MJ_TILE), seed)
            return media.vary(blended, seed + n, 0.3 * n)
        parent = self.state.task(task["parent"])
        base = (
            self.picture(parent, task["pindex"] - 1) if parent else media.scene(prompt, tile, seed)
        )
        p = task["params"]
        if action == "UPSCALE":
            return base.resize((base.width * 2, base.height * 2), Image.Resampling.LANCZOS)
        if action in {"VARIATION", "LOW_VARIATION", "HIGH_VARIATION"}:
            strength = {"LOW_VARIATION": 0.3, "HIGH_VARIATION": 1.0}.get(action, 0.6)
            return media.vary(base, seed + n, strength)
        if action == "REROLL":
            return media.scene(prompt, base.size, seed + 97 * (n + 1), label=f"{n + 1}")
        if action in {"ZOOM", "CUSTOM_ZOOM"}:
            return media.vary(
                media.zoom_out(base, p.get("scale") or 2.0, seed, prompt), seed + n, 0.1 * n
            )
        if action == "PAN":
            # Strict: the gateway dropped `direction`, so Youchuan gets Go's zero value, 0 (down).
            fallback = 0 if self.config.strict else 1
            direction = {0: "down", 1: "right", 2: "up", 3: "left"}.get(
                int(p.get("direction") if p.get("direction") is not None else fallback), "down"
            )
            return media.vary(
                media.pan(base, direction, p.get("scale") or 1.5, seed, prompt), seed + n, 0.1 * n
            )
        if action == "INPAINT":
            return media.inpaint(
                base, p.get("maskBase64") or "", seed + n, p.get("remix_prompt") or prompt
            )
        if action == "REMIX":
            return media.scene(
                p.get("remix_prompt") or prompt,
                base.size,
                seed + n,
                palette_seed=media.seed_of(prompt),
            )
        return base

    def fetch_image(self, url: str):
        """Load a reference image: our own media directly, loopback URLs over HTTP, else nothing."""
        from PIL import Image

        if not isinstance(url, str):
            return None
        if url.startswith("data:"):
            return media.decode_data_uri_or_b64(url)
        parts = urlsplit(url)
        own = re.fullmatch(r"/__sim__/media/([^/]+)/(\d+)\.png", parts.path)
        if own:
            task = self.state.task(own.group(1))
            return self.picture(task, int(own.group(2))) if task else None
        if not self.may_fetch(url):
            return None  # never reach out anywhere but our own signed links
        with self._fetched_lock:
            if url in self._fetched:  # one fetch per link, however many pictures use it
                return self._fetched[url]
        image = None
        try:
            import httpx

            response = httpx.get(url, timeout=3.0, follow_redirects=False)
            response.raise_for_status()
            if len(response.content) <= 20 * 1024 * 1024:
                Image.MAX_IMAGE_PIXELS = 50_000_000
                image = Image.open(io.BytesIO(response.content))
                image.load()
        except Exception:
            image = None
        with self._fetched_lock:
            if len(self._fetched) >= 64:
                self._fetched.pop(next(iter(self._fetched)))
            self._fetched[url] = image
        return image

    def may_fetch(self, url: str) -> bool:
        """Loopback http(s) only; with `fetch_prefixes`, only links starting with one of them."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or parts.hostname not in {
            "127.0.0.1",
            "localhost",
            "::1",
        }:
            return False
        prefixes = self.config.fetch_prefixes
        return prefixes is None or any(url.startswith(p) for p in prefixes if p)
