"""The Zcheap HTTP client: the only code in the project that talks to Zcheap.

Policy
------
* Timeouts are explicit: connect 5 s, read 30 s by default (`timeout=`).
* Fetches and other idempotent calls (task fetch, MJ batch fetch, asset list/get/quota) are retried
  on transient failures (network errors, timeouts, 5xx, malformed JSON, 429) up to `max_retries`
  times with full-jitter exponential backoff, honouring `Retry-After`.
* Submits (image/video create, MJ imagine/blend/change/action, asset and group create) cost money
  and are NEVER retried once the request may have reached the server. A failure before the
  connection was made (connect error) is safe and reported as `TransientError`; anything after
  (read timeout, dropped connection, 502/503/504, unreadable reply) is `AmbiguousSubmitError`,
  which callers must not repeat automatically.
* Auth is `Authorization: Bearer <key>`; the key is never logged and never put in an error.
* One client per thread (sync) or per event loop (async) keeps HTTP connections alive; the async
  client bounds concurrent requests with a semaphore (`max_concurrency`).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from . import errors as e
from . import types as t
from .http import ssl_context

DEFAULT_BASE_URL = "https://zcheap.ai"
USER_AGENT = "ZcheapStudio/0.1 (+self-hosted)"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Errors raised before a byte of the request left this machine: safe to repeat even for submits.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class Call:
    """One API call: what to send and how to read the reply."""

    method: str
    path: str
    parse: Callable[[Any], Any]
    json: Any = None
    submit: bool = False
    family: str = "json"  # json | asset (family E) | mj-submit (family F) | billing | bytes
    auth: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    # HTTP statuses this route gives their own meaning (e.g. the video content route's 400).
    status_errors: tuple[tuple[int, type], ...] = ()


# --- Reading replies -------------------------------------------------------------------------
def _error_text(body: Any) -> tuple[str, str]:
    """(message, code) from any of the error envelopes (families D, E, F, G, MJ proxy)."""
    if not isinstance(body, dict):
        return "", ""
    inner = body.get("error")
    if isinstance(inner, dict):  # G: {"error": {"message", "type", "code"}}
        return str(inner.get("message") or ""), str(inner.get("code") or inner.get("type") or "")
    if isinstance(inner, str):  # MJ image proxy: {"error": "midjourney_task_not_found"}
        return inner, inner
    if "description" in body:  # F: {"description", "type", "code": int}
        return str(body.get("description") or "").strip(), str(body.get("code") or "")
    return str(body.get("message") or ""), str(body.get("code") or "")  # D and E


MODERATION_WORDS = (
    "sensitive",
    "moderation",
    "banned",
    "audit",
    "审核",
    "违规",
    "敏感",
    "not allowed",
)
QUOTA_WORDS = ("quota", "balance", "insufficient", "额度", "余额", "not enough")
NOT_FOUND_CODES = {"task_not_exist", "task_no_found", "task_not_found", "midjourney_task_not_found"}


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 300.0))
    except ValueError:
        return None


def is_gateway_auth_error(body: Any) -> bool:
    """§0: only the gateway's own `{"error": {..., "type": "new_api_error"}}` means "bad key"."""
    inner = body.get("error") if isinstance(body, dict) else None
    return isinstance(inner, dict) and inner.get("type") == "new_api_error"


def _refusal(status: int, body: Any, message: str, lowered: str, kwargs: dict) -> e.ZcheapError:
    """A 401/403 sorted by its body's shape, never by the status alone."""
    if is_gateway_auth_error(body):
        return e.AuthenticationError(message, **kwargs)
    # Youchuan's status passed through with the MJ shape: 403 is its sensitive-prompt answer.
    youchuan = isinstance(body, dict) and "description" in body and "error" not in body
    if any(word in lowered for word in MODERATION_WORDS) or (youchuan and status == 403):
        return e.ModerationError(message, **kwargs)
    return e.UpstreamRefusedError(message, **kwargs)


def error_for(status: int, body: Any, headers: httpx.Headers | None = None) -> e.ZcheapError:
    """Map an HTTP error reply to the error class callers act on."""
    message, code = _error_text(body)
    lowered = f"{message} {code}".lower()
    kwargs = {"status_code": status, "code": code}
    if status == 429 or code == "30":
        return e.RateLimitedError(
            message, retry_after=_retry_after(headers or httpx.Headers()), **kwargs
        )
    if status == 402 or (
        any(word in lowered for word in QUOTA_WORDS) and status in (400, 401, 402, 403)
    ):
        return e.QuotaError(message, **kwargs)
    if status in (401, 403):
        return _refusal(status, body, message, lowered, kwargs)
    if status == 404 or code in NOT_FOUND_CODES or "task_no_found" in lowered:
        return e.NotFoundError(message, **kwargs)
    if code == "24" or any(word in lowered for word in MODERATION_WORDS):
        return e.ModerationError(message, **kwargs)
    if status == 500 and code in {"build_request_failed", "invalid_request"}:
        return e.InvalidRequestError(message, **kwargs)  # the server's own validation said no
    if status == 400 and code == "unsupported_resolution_for_fast_variant":
        return e.InvalidRequestError(message, **kwargs)
    if status >= 500:
        return e.TransientError(message, **kwargs)
    if 400 <= status < 500:
        return e.InvalidRequestError(message, **kwargs)
    return e.PermanentError(message, **kwargs)


def asset_error(message: str) -> e.ZcheapError:
    """Family E errors arrive as HTTP 200 with success:false; sort them by their text."""
    lowered = message.lower()
    if "not found" in lowered:
        return e.AssetNotFoundError(message, status_code=200)
    if "quota" in lowered or "exceeds max limit" in lowered or "not enough" in lowered:
        return e.AssetQuotaError(message, status_code=200)
    return e.AssetError(message, status_code=200)


def billing_error(body: dict) -> e.ZcheapError:
    """The dashboard routes report their own failures as HTTP 200 `{"error": {...}}` (§0)."""
    message, code = _error_text(body)
    lowered = f"{message} {code}".lower()
    if any(word in lowered for word in QUOTA_WORDS):
        return e.QuotaError(message, status_code=200, code=code)
    return e.TransientError(message or "billing route error", status_code=200, code=code)


def interpret(call: Call, response: httpx.Response) -> Any:
    """Turn an HTTP reply into a typed result or raise the matching ZcheapError."""
    status = response.status_code
    if call.family == "bytes" and status == 200:
        return response.content
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        if status >= 500:
            raise e.TransientError(f"HTTP {status}", status_code=status) from None
        if 200 <= status < 300:
            raise e.MalformedResponseError(
                f"HTTP {status}: reply is not JSON", status_code=status
            ) from None
        raise error_for(status, {"message": response.text[:300]}, response.headers) from None
    if status >= 400:
        special = dict(call.status_errors).get(status)
        if special is not None:
            message, code = _error_text(body)
            raise special(message, status_code=status, code=code)
        raise error_for(status, body, response.headers)
    if call.family == "asset":
        if not isinstance(body, dict):
            raise e.MalformedResponseError("asset reply is not an object")
        if body.get("success") is False:
            raise asset_error(str(body.get("message") or ""))
        return call.parse(body.get("data"))
    if call.family == "billing" and isinstance(body, dict) and "error" in body:
        raise billing_error(body)
    if call.family == "mj-submit" and isinstance(body, dict):
        code = body.get("code")
        if isinstance(code, int) and code not in t.MJ_SUCCESS_CODES:
            raise error_for(400 if code != 23 else 429, body, response.headers)
    return call.parse(body)


# --- Endpoints (shared by both clients: `_run` is sync in one, async in the other) -----------
def _json_or_none(value: Any) -> Any:
    return value


class _Endpoints:
    def _run(self, call: Call):  # pragma: no cover - implemented by subclasses
        raise NotImplementedError

    # Images (Gemini, async task)
    def create_image(self, request: t.ImageRequest):
        return self._run(
            Call("POST", "/v1/images/generations", t.parse_submit, request.to_json(), submit=True)
        )

    def get_image(self, task_id: str):
        return self._run(
            Call("GET", f"/v1/images/generations/{quote(task_id, safe='')}", t.parse_image_task)
        )

    # IMA-Pro video
    def create_video(self, request: t.VideoRequest):
        return self._run(Call("POST", "/v1/videos", t.parse_submit, request.to_json(), submit=True))

    def get_video(self, task_id: str):
        return self._run(Call("GET", f"/v1/videos/{quote(task_id, safe='')}", t.parse_video_task))

    def get_video_content(self, task_id: str):
        """The video bytes. §0: unknown → 404, not completed yet → 400, upstream failure → 502."""
        path = f"/v1/videos/{quote(task_id, safe='')}/content"
        return self._run(
            Call(
                "GET",
                path,
                _json_or_none,
                family="bytes",
                status_errors=((400, e.NotReadyError), (404, e.NotFoundError)),
            )
        )

    # Midjourney
    def mj_imagine(
        self,
        prompt: str,
        *,
        base64_array: Iterable[str] = (),
        bot_type: str = "",
        state: str = "",
        youchuan_setting: str = "",
    ):
        body: dict[str, Any] = {"prompt": prompt}
        if base64_array:
            body["base64Array"] = list(base64_array)
        if bot_type:
            body["botType"] = bot_type
        if state:
            body["state"] = state
        headers = (("x-youchuan-setting", youchuan_setting),) if youchuan_setting else ()
        return self._run(
            Call(
                "POST",
                "/mj/submit/imagine",
                t.parse_mj_submit,
                body,
                submit=True,
                family="mj-submit",
                headers=headers,
            )
        )

    def mj_blend(self, images: Iterable[str], *, dimensions: str = "", prompt: str = ""):
        body: dict[str, Any] = {"base64Array": list(images)}
        if dimensions:
            body["dimensions"] = dimensions
        if prompt:
            body["prompt"] = prompt
        return self._run(
            Call(
                "POST", "/mj/submit/blend", t.parse_mj_submit, body, submit=True, family="mj-submit"
            )
        )

    def mj_change(self, request: t.MjChangeRequest):
        return self._run(
            Call(
                "POST",
                "/mj/submit/change",
                t.parse_mj_submit,
                request.to_json(),
                submit=True,
                family="mj-submit",
            )
        )

    def mj_action(self, task_id: str, custom_id: str):
        body = {"taskId": task_id, "customId": custom_id}
        return self._run(
            Call(
                "POST",
                "/mj/submit/action",
                t.parse_mj_submit,
                body,
                submit=True,
                family="mj-submit",
            )
        )

    def mj_fetch(self, task_id: str):
        return self._run(Call("GET", f"/mj/task/{quote(task_id, safe='')}/fetch", t.parse_mj_task))

    def mj_fetch_many(self, task_ids: Iterable[str]):
        def parse(body: Any) -> list[t.MjTask]:
            if not isinstance(body, list):
                raise e.MalformedResponseError("list-by-condition reply is not a list")
            return [t.parse_mj_task(item) for item in body]

        return self._run(Call("POST", "/mj/task/list-by-condition", parse, {"ids": list(task_ids)}))

    def mj_image(self, task_id: str):
        path = f"/mj/image/{quote(task_id, safe='')}"
        return self._run(Call("GET", path, _json_or_none, family="bytes", auth=False))

    # Money (contract §0): price list (no key), the key's quota and usage, its usage log
    def pricing(self):
        return self._run(Call("GET", "/api/pricing", t.parse_pricing, auth=False))

    # The billing routes are cheap and unbilled, so they also tell whether a key works before a
    # team switches to it (gallery.generation.verify_key).
    def billing_subscription(self):
        path = "/v1/dashboard/billing/subscription"
        return self._run(Call("GET", path, t.parse_subscription, family="billing"))

    def billing_usage(self):
        """What the key has used, in the gateway's display unit (the reply is in cents)."""
        path = "/v1/dashboard/billing/usage"
        return self._run(Call("GET", path, t.parse_usage, family="billing"))

    def usage_log(self):
        return self._run(Call("GET", "/api/log/token", t.parse_usage_log))

    # Asset library (family E: POST everywhere, errors as HTTP 200 success:false)
    def _asset(self, path: str, body: dict, parse, *, submit: bool = False):
        clean = {k: v for k, v in body.items() if v not in (None, "", [], {})}
        return self._run(Call("POST", path, parse, clean, submit=submit, family="asset"))

    def asset_group_create(
        self,
        name: str,
        *,
        description: str = "",
        group_type: str = "",
        project_name: str = "",
        model: str = "",
    ):
        body = {
            "name": name,
            "description": description,
            "group_type": group_type,
            "project_name": project_name,
            "model": model,
        }
        return self._asset("/v1/assets/group/create", body, t.parse_asset_group, submit=True)

    def asset_group_list(
        self,
        *,
        name: str = "",
        group_ids: Iterable[str] = (),
        group_type: str = "",
        page_number: int = 1,
        page_size: int = 50,
        sort_by: str = "CreateTime",
        sort_order: str = "Desc",
        model: str = "",
    ):
        filters = {
            k: v
            for k, v in {
                "name": name,
                "group_ids": list(group_ids),
                "group_type": group_type,
            }.items()
            if v
        }
        body = {
            "filters": filters,
            "page_number": page_number,
            "page_size": page_size,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "model": model,
        }
        return self._asset(
            "/v1/assets/group/list", body, lambda d: t.parse_page(d, t.parse_asset_group)
        )

    def asset_group_get(self, group_id: str):
        return self._asset("/v1/assets/group/get", {"id": group_id}, t.parse_asset_group)

    def asset_group_update(
        self, group_id: str, *, name: str | None = None, description: str | None = None
    ):
        body = {"id": group_id, "name": name, "description": description}
        return self._asset("/v1/assets/group/update", body, t.parse_id)

    def asset_create(
        self,
        group_id: str,
        url: str,
        *,
        name: str = "",
        asset_type: str = "",
        model: str = "",
        project_name: str = "",
    ):
        body = {
            "group_id": group_id,
            "url": url,
            "name": name,
            "asset_type": asset_type,
            "model": model,
            "project_name": project_name,
        }
        return self._asset("/v1/assets/create", body, t.parse_id, submit=True)

    def asset_list(
        self,
        *,
        group_ids: Iterable[str] = (),
        statuses: Iterable[str] = (),
        name: str = "",
        group_type: str = "",
        page_number: int = 1,
        page_size: int = 50,
        sort_by: str = "CreateTime",
        sort_order: str = "Desc",
        model: str = "",
    ):
        filters = {
            k: v
            for k, v in {
                "group_ids": list(group_ids),
                "statuses": list(statuses),
                "name": name,
                "group_type": group_type,
            }.items()
            if v
        }
        body = {
            "filters": filters,
            "page_number": page_number,
            "page_size": page_size,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "model": model,
        }
        return self._asset("/v1/assets/list", body, lambda d: t.parse_page(d, t.parse_asset))

    def asset_get(self, asset_id: str):
        return self._asset("/v1/assets/get", {"id": asset_id}, t.parse_asset)

    def asset_update(self, asset_id: str, name: str):
        return self._asset("/v1/assets/update", {"id": asset_id, "name": name}, t.parse_id)

    def asset_quota(self):
        return self._asset("/v1/assets/quota", {}, t.parse_quota)

    def asset_delete(self, asset_id: str):
        return self._asset(
            "/v1/assets/delete", {"id": asset_id}, lambda d: bool(_dict(d).get("deleted", True))
        )


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


# --- Transport-level policy shared by both clients -------------------------------------------
class _Base(_Endpoints):
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        user_agent: str = USER_AGENT,
    ):
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key.strip()
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.user_agent = user_agent

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def url(self, path: str) -> str:
        # Like the IMA SDK: a base that already ends in /v1 does not get a second /v1.
        if self.base_url.endswith("/v1") and path.startswith("/v1/"):
            path = path[3:]
        return self.base_url + path

    def _headers(self, call: Call) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if call.auth and self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        headers.update(dict(call.headers))
        return headers

    def _transport_error(self, call: Call, exc: httpx.HTTPError) -> e.ZcheapError:
        if isinstance(exc, NOT_SENT):
            error = e.TransientError(f"{type(exc).__name__}: could not connect")
            error.not_sent = True
            return error
        if call.submit:
            return e.AmbiguousSubmitError(f"{type(exc).__name__} after sending the request")
        return e.TransientError(type(exc).__name__)

    @staticmethod
    def _classify(call: Call, error: e.ZcheapError) -> e.ZcheapError:
        """A submit answered by a 5xx or an unreadable reply may have created the task."""
        if (
            call.submit
            and isinstance(error, (e.TransientError, e.MalformedResponseError))
            and not error.not_sent
        ):
            return e.AmbiguousSubmitError(
                error.upstream_message, status_code=error.status_code, code=error.code
            )
        return error

    def _delay(self, call: Call, error: e.ZcheapError, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to give up now."""
        if attempt >= self.max_retries or not error.retryable:
            return None
        if call.submit and not error.not_sent:
            return None  # a submit is repeated only if the connection never opened
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self.max_backoff * 3)
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


class _NoCookies(httpx.Cookies):
    """Zcheap authenticates by key: no cookie is kept or sent. httpx otherwise runs every reply
    through http.cookiejar (building urllib request objects), about 5 % of the poll process's
    CPU (issue 18)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def _without_cookies(client):
    # httpx 0.28 keeps the jar in `_cookies` (its `cookies` setter copies into a plain Cookies).
    client._cookies = _NoCookies()
    return client


class ZcheapClient(_Base):
    """Synchronous client (worker threads, views). Use one per thread; close() when done."""

    def __init__(
        self, base_url: str = DEFAULT_BASE_URL, api_key: str = "", *, transport=None, **kwargs
    ):
        super().__init__(base_url, api_key, **kwargs)
        self._http = _without_cookies(
            httpx.Client(
                timeout=self.timeout,
                transport=transport,
                follow_redirects=False,
                verify=ssl_context(),
            )
        )

    def _run(self, call: Call):
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method, self.url(call.path), json=call.json, headers=self._headers(call)
                )
                return interpret(call, response)
            except httpx.HTTPError as exc:
                error = self._transport_error(call, exc)
            except e.ZcheapError as exc:
                error = self._classify(call, exc)
            delay = self._delay(call, error, attempt)
            if delay is None:
                raise error
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZcheapClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncZcheapClient(_Base):
    """Asyncio client for high fan-out polling; at most `max_concurrency` requests at once."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        *,
        transport=None,
        max_concurrency: int = 100,
        **kwargs,
    ):
        super().__init__(base_url, api_key, **kwargs)
        limits = httpx.Limits(
            max_connections=max_concurrency, max_keepalive_connections=max_concurrency
        )
        self._http = _without_cookies(
            httpx.AsyncClient(
                timeout=self.timeout,
                transport=transport,
                limits=limits,
                follow_redirects=False,
                verify=ssl_context(),
            )
        )
        self._semaphore = asyncio.Semaphore(max_concurrency)

    async def _run(self, call: Call):
        attempt = 0
        while True:
            try:
                async with self._semaphore:
                    response = await self._http.request(
                        call.method,
                        self.url(call.path),
                        json=call.json,
                        headers=self._headers(call),
                    )
                return interpret(call, response)
            except httpx.HTTPError as exc:
                error = self._transport_error(call, exc)
            except e.ZcheapError as exc:
                error = self._classify(call, exc)
            delay = self._delay(call, error, attempt)
            if delay is None:
                raise error
            await asyncio.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncZcheapClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
