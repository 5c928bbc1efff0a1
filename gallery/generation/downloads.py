"""SSRF-safe downloads of result files.

Only http(s); the host must resolve to public addresses (no private, loopback, link-local,
multicast or reserved ones) unless it is explicitly allowed (the in-process simulator, a team's
own base URL host, ZCHEAP_DOWNLOAD_ALLOWED_HOSTS); redirects are followed by hand and each hop is
checked again; the body is capped while streaming; the type is sniffed from the bytes, not taken
from the Content-Type header.

The connection goes to the address that was checked, not to a second DNS answer: the URL is
rewritten to that IP with the original Host header and TLS server name (SNI, which is also the
name the certificate is verified against). Without that pin, a hostile DNS server could answer
a public address to the check and 127.0.0.1 to the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zcheap.http import ssl_context

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


DEFAULT_PORTS = {"http": 80, "https": 443}


def _entry(value: str) -> tuple[str, int | None]:
    """An allow-list entry as (host, port); no port means the standard web ports only."""
    parts = urlsplit("//" + value.strip().lower())
    try:
        return (parts.hostname or "", parts.port)
    except ValueError:
        return ("", -1)  # matches nothing


def host_allowed(host: str, scheme: str, port: int | None, allowed: frozenset[str]) -> bool:
    """HOST:PORT is on the allow-list: an entry names the host and (if it gives one) the port;
    one without a port allows only 80 and 443. An allowed name on another port (a database or
    Redis on the same machine) is not allowed."""
    effective = port or DEFAULT_PORTS.get(scheme)
    for entry_host, entry_port in map(_entry, allowed):
        if entry_host != host:
            continue
        if entry_port is None and effective in DEFAULT_PORTS.values():
            return True
        if entry_port == effective:
            return True
    return False


def allowed_for_base_url(base_url: str) -> frozenset[str]:
    """The allow-list entry for a team's own API host: its name and port exactly."""
    if not base_url:
        return frozenset()
    try:
        parts = urlsplit(base_url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return frozenset()
    if not parts.hostname or not port:
        return frozenset()
    host = parts.hostname.lower()
    return frozenset({f"[{host}]:{port}" if ":" in host else f"{host}:{port}"})


def check_url(url: str, allowed_hosts: frozenset[str] = frozenset()) -> list[str] | None:
    """Refuse URL unless it is http(s) to public addresses only. Returns those addresses in the
    resolver's order (the order to try them in), or None for hosts allowed as they are (the
    simulator and configured hosts), which are connected to by name."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a port that is not a number
        raise DownloadError(
            _("The result link is malformed."), permanent=True, detail=url
        ) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DownloadError(
            _("The result link is not an http(s) address."), permanent=True, detail=url
        )
    host = parts.hostname.lower()
    if host_allowed(host, parts.scheme, port, allowed_hosts) or simulator_runtime.is_simulator_url(
        url
    ):
        return None
    try:
        infos = socket.getaddrinfo(
            host,
            port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
            flags=socket.AI_ADDRCONFIG,  # only families this machine can reach
        )
    except (OSError, UnicodeError):
        raise DownloadError(_("The result host could not be found."), detail=host) from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses or not all(_public(a) for a in addresses):
        raise DownloadError(
            _("The result link points to a private network address; it was not downloaded."),
            permanent=True,
            detail=host,
        )
    return addresses


def _via_proxy(url: str) -> bool:
    """True when the environment sends URL through a proxy (httpx honours it): the proxy then
    resolves the name, so there is no connection of ours to pin."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return bool(proxy) and not urllib.request.proxy_bypass(parts.hostname or "")


def pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict]:
    """(URL to request, extra headers, httpx extensions) that connect to ADDRESS for URL, with
    the Host header and TLS name (SNI, also what the certificate is checked against) of URL's
    host, IDNA-encoded."""
    if address is None:
        return url, {}, {}
    original = httpx.URL(url)
    tls = original.scheme == "https"
    extensions = {"sni_hostname": original.raw_host.decode("ascii")} if tls else {}
    return (
        str(original.copy_with(host=address)),
        {"Host": original.netloc.decode("ascii")},
        extensions,
    )


class _ConnectFailed(Exception):
    """This address did not answer; the next one may."""


def _fetch(url: str, address: str | None, *, max_bytes: int, timeout: float):
    """One GET of URL (connected to ADDRESS): a Downloaded, or the next URL of a redirect."""
    target, headers, extensions = pinned(url, address)
    transport = simulator_runtime.download_transport(url)
    with httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=10.0),
        follow_redirects=False,
        verify=ssl_context(),
    ) as http:
        try:
            with http.stream(
                "GET",
                target,
                headers={"User-Agent": "ZcheapStudio/0.1", **headers},
                extensions=extensions,
            ) as response:
                if response.is_redirect:
                    return urljoin(url, response.headers.get("location", ""))
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
                length = response.headers.get("content-length", "")
                declared = int(length) if length.isascii() and length.isdecimal() else 0
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
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _ConnectFailed(type(exc).__name__) from None
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


def download(
    url: str, *, max_bytes: int, allowed_hosts: frozenset[str] = frozenset(), timeout: float = 60.0
) -> Downloaded:
    """Fetch URL under the rules above; raise DownloadError with a message for people."""
    allowed = frozenset(
        h.lower() for h in (*allowed_hosts, *settings.ZCHEAP_DOWNLOAD_ALLOWED_HOSTS)
    )
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            addresses = check_url(url, allowed)
            candidates: list[str | None] = (
                [None] if addresses is None or _via_proxy(url) else list(addresses)
            )
            for n, address in enumerate(candidates, start=1):
                try:
                    outcome = _fetch(url, address, max_bytes=max_bytes, timeout=timeout)
                    break
                except _ConnectFailed as failed:
                    if n == len(candidates):
                        raise DownloadError(
                            _("The result could not be downloaded."), detail=str(failed)
                        ) from None
            if isinstance(outcome, Downloaded):
                return outcome
            url = outcome  # a redirect: checked again from the top
    except (UnicodeError, ValueError, httpx.InvalidURL) as exc:  # odd URLs from upstream
        raise DownloadError(
            _("The result link is malformed."), permanent=True, detail=type(exc).__name__
        ) from None
    raise DownloadError(_("The result link redirects too often."), permanent=True, detail=url)
