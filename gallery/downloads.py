"""SSRF-safe downloads of result files.

Only http(s); the host must resolve to public addresses (no private, loopback, link-local,
multicast or reserved ones) unless it is explicitly allowed (the in-process simulator, a team's
own base URL host, ZCHEAP_DOWNLOAD_ALLOWED_HOSTS); redirects are followed by hand and each hop is
checked again; the body is capped while streaming; the type is sniffed from the bytes, not taken
from the Content-Type header.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import simulator_runtime

MAX_REDIRECTS = 3


class DownloadError(Exception):
    """A download that failed; `permanent` means trying again will not help."""

    def __init__(self, message, *, permanent: bool = False, detail: str = ""):
        super().__init__(str(message))
        self.user_message = message
        self.permanent = permanent
        self.detail = detail


@dataclass(frozen=True)
class Downloaded:
    content: bytes
    content_type: str  # sniffed
    extension: str
    url: str


SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"\x1a\x45\xdf\xa3", "video/webm", "webm"),
]


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the first bytes, or None for anything we do not keep."""
    for magic, content_type, ext in SIGNATURES:
        if data.startswith(magic):
            return content_type, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data[4:8] == b"ftyp":
        return "video/mp4", "mp4"
    return None


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def check_url(url: str, allowed_hosts: frozenset[str] = frozenset()) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DownloadError(
            _("The result link is not an http(s) address."), permanent=True, detail=url
        )
    host = parts.hostname.lower()
    if host in allowed_hosts or simulator_runtime.is_simulator_url(url):
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError:
        raise DownloadError(_("The result host could not be found."), detail=host) from None
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(_public(a.split("%")[0]) for a in addresses):
        raise DownloadError(
            _("The result link points to a private network address; it was not downloaded."),
            permanent=True,
            detail=host,
        )


def download(
    url: str, *, max_bytes: int, allowed_hosts: frozenset[str] = frozenset(), timeout: float = 60.0
) -> Downloaded:
    """Fetch URL under the rules above; raise DownloadError with a message for people."""
    allowed = frozenset(
        h.lower() for h in (*allowed_hosts, *settings.ZCHEAP_DOWNLOAD_ALLOWED_HOSTS)
    )
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(url, allowed)
        transport = simulator_runtime.download_transport(url)
        with httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=False,
        ) as http:
            try:
                with http.stream(
                    "GET", url, headers={"User-Agent": "ZcheapStudio/0.1"}
                ) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code in (404, 410):
                        raise DownloadError(
                            _(
                                "The result link has expired or was removed before we could download it."
                            ),
                            permanent=True,
                            detail=f"HTTP {response.status_code}",
                        )
                    if response.status_code != 200:
                        raise DownloadError(
                            _("The result could not be downloaded."),
                            detail=f"HTTP {response.status_code}",
                        )
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > max_bytes:
                        raise DownloadError(
                            _("The result file is larger than allowed."),
                            permanent=True,
                            detail=str(declared),
                        )
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise DownloadError(
                                _("The result file is larger than allowed."),
                                permanent=True,
                                detail=str(size),
                            )
                        chunks.append(chunk)
            except httpx.HTTPError as exc:
                raise DownloadError(
                    _("The result could not be downloaded."), detail=type(exc).__name__
                ) from None
        content = b"".join(chunks)
        kind = sniff(content[:16])
        if kind is None:
            raise DownloadError(
                _("The result is not an image or video we can keep."),
                permanent=True,
                detail=content[:16].hex(),
            )
        return Downloaded(content=content, content_type=kind[0], extension=kind[1], url=url)
    raise DownloadError(_("The result link redirects too often."), permanent=True, detail=url)
