"""Webhook request bodies: generic JSON signed with HMAC-SHA256, and the ready formats of the
chat services' incoming webhooks (Feishu/Lark, DingTalk, WeCom, Slack).

Each builder returns (url, body bytes, headers); nothing here touches the network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote_plus, urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Zcheap-Signature"


def sign_generic(secret: str, body: bytes) -> str:
    """The value of X-Zcheap-Signature: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu/Lark: base64 of HMAC-SHA256 keyed with "timestamp\\nsecret" over nothing."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64 of HMAC-SHA256 keyed with the secret over "timestamp\\nsecret"."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _dumps(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _add_query(url: str, extra: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def build(fmt: str, url: str, secret: str, event: str, text: str, data: dict, *, now=None):
    now = time.time() if now is None else now
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "ZcheapStudio/0.1"}
    if fmt == "feishu":
        payload = {"msg_type": "text", "content": {"text": text}}
        if secret:
            timestamp = int(now)
            payload = {
                "timestamp": str(timestamp),
                "sign": feishu_sign(secret, timestamp),
                **payload,
            }
        return url, _dumps(payload), headers
    if fmt == "dingtalk":
        payload = {"msgtype": "text", "text": {"content": text}}
        if secret:
            timestamp_ms = int(now * 1000)
            sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
            url = _add_query(url, f"timestamp={timestamp_ms}&sign={sign}")
        return url, _dumps(payload), headers
    if fmt == "wecom":
        return url, _dumps({"msgtype": "text", "text": {"content": text}}), headers
    if fmt == "slack":
        return url, _dumps({"text": text}), headers
    body = _dumps({"event": event, "text": text, "data": data, "sent_at": int(now)})
    headers["X-Zcheap-Event"] = event
    if secret:
        headers[SIGNATURE_HEADER] = sign_generic(secret, body)
    return url, body, headers


def accepted(fmt: str, status: int, body: bytes) -> tuple[bool, str]:
    """Whether the receiver took the message. Feishu and DingTalk answer 200 with an error
    code in the body (a bad signature, for instance), so those are read too."""
    if not 200 <= status < 300:
        return False, f"HTTP {status}"
    if fmt in ("feishu", "dingtalk", "wecom"):
        try:
            answer = json.loads(body or b"{}")
        except ValueError:
            return True, ""
        if isinstance(answer, dict):
            code = answer.get("code", answer.get("errcode", answer.get("StatusCode", 0)))
            if code not in (0, None, "0"):
                message = answer.get("msg") or answer.get("errmsg") or ""
                return False, f"code {code} {message}".strip()[:200]
    return True, ""
