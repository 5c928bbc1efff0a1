"""SSRF-safe downloads and safe image handling."""

from __future__ import annotations

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from gallery.generation import downloads, media_processing
from tests.factories import png_bytes


class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    hosts: list = []

    def do_GET(self):  # noqa: N802
        self.hosts.append(self.headers.get("Host"))
        status, headers, body = self.routes.get(self.path, (404, {}, b"nope"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler.routes
    httpd.shutdown()
    httpd.server_close()
    thread.join()
    _Handler.routes.clear()
    _Handler.hosts.clear()


def _here(base: str) -> frozenset[str]:
    """The allow-list entry for the test server: host and port."""
    return frozenset({base.split("//", 1)[1]})


def test_the_allow_list_matches_the_port_too(server):
    """An allowed host on another port (Redis, PostgreSQL on the same machine) stays refused."""
    base, routes = server
    routes["/a"] = (200, {}, png_bytes())
    with pytest.raises(downloads.DownloadError, match="private network"):
        downloads.download(f"{base}/a", max_bytes=100_000, allowed_hosts=frozenset({"127.0.0.1"}))
    port = int(base.rsplit(":", 1)[1])
    other = frozenset({f"127.0.0.1:{port + 1}"})
    with pytest.raises(downloads.DownloadError, match="private network"):
        downloads.download(f"{base}/a", max_bytes=100_000, allowed_hosts=other)
    assert downloads.download(f"{base}/a", max_bytes=100_000, allowed_hosts=_here(base))


def test_a_teams_base_url_allows_its_own_host_and_port_only():
    allowed = downloads.allowed_for_base_url("https://api.zcheap.example")
    assert downloads.host_allowed("api.zcheap.example", "https", None, allowed)
    assert downloads.host_allowed("api.zcheap.example", "https", 443, allowed)
    assert not downloads.host_allowed("api.zcheap.example", "http", 6379, allowed)
    assert not downloads.host_allowed("other.example", "https", None, allowed)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://localhost/x.png",
        "http://10.0.0.5/x.png",
        "http://169.254.169.254/latest",
        "http://[::1]/x.png",
        "http://192.168.1.1/x.png",
        "file:///etc/passwd",
        "ftp://example.com/x.png",
    ],
)
def test_it_refuses_private_loopback_and_non_http_addresses(url):
    with pytest.raises(downloads.DownloadError) as info:
        downloads.download(url, max_bytes=1000)
    assert info.value.permanent


def test_it_downloads_from_an_allowed_host_and_sniffs_the_type(server, settings):
    base, routes = server
    routes["/a"] = (
        200,
        {"Content-Type": "text/html"},
        png_bytes(),
    )  # the header lies; the bytes win
    got = downloads.download(f"{base}/a", max_bytes=100_000, allowed_hosts=_here(base))
    assert got.content_type == "image/png" and got.extension == "png"


def test_it_rechecks_every_redirect(server):
    base, routes = server
    routes["/hop"] = (302, {"Location": "http://10.1.2.3/secret.png"}, b"")
    with pytest.raises(downloads.DownloadError, match="private network"):
        downloads.download(f"{base}/hop", max_bytes=1000, allowed_hosts=_here(base))


def test_it_connects_to_the_address_it_checked_not_to_a_second_dns_answer(server, monkeypatch):
    """DNS rebinding: the check sees a 'public' address, a second lookup would say otherwise."""
    base, routes = server
    port = int(base.rsplit(":", 1)[1])
    routes["/a.png"] = (200, {}, png_bytes())
    real_getaddrinfo, answers = socket.getaddrinfo, []

    def rebinding_dns(host, *args, **kwargs):
        if host != "cdn.example.test":
            return real_getaddrinfo(host, *args, **kwargs)
        answers.append(host)  # first answer: the server; any later one: a closed loopback port
        address = "127.0.0.1" if len(answers) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    # Stand-in for "a public address": this test's server is the only thing it may reach.
    monkeypatch.setattr(downloads, "_public", lambda address: address == "127.0.0.1")
    got = downloads.download(f"http://cdn.example.test:{port}/a.png", max_bytes=100_000)
    assert got.content_type == "image/png"
    assert len(answers) == 1
    assert _Handler.hosts == [f"cdn.example.test:{port}"]


def test_it_tries_the_next_checked_address_when_one_does_not_answer(server, monkeypatch):
    base, routes = server
    port = int(base.rsplit(":", 1)[1])
    routes["/a.png"] = (200, {}, png_bytes())
    real_getaddrinfo = socket.getaddrinfo

    def two_addresses(host, *args, **kwargs):
        if host != "cdn.example.test":
            return real_getaddrinfo(host, *args, **kwargs)
        return [  # the first one has nothing listening
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    monkeypatch.setattr(downloads, "_public", lambda address: address.startswith("127.0.0."))
    got = downloads.download(f"http://cdn.example.test:{port}/a.png", max_bytes=100_000)
    assert got.content_type == "image/png"


PUBLIC = {"93.184.215.14", "2606:4700::1"}


@pytest.mark.parametrize(
    "answers",
    [["93.184.215.14", "10.0.0.5"], ["10.0.0.5", "93.184.215.14"], ["2606:4700::1", "::1"]],
    ids=["public-then-private", "private-then-public", "ipv6-public-and-loopback"],
)
def test_a_host_with_one_public_and_one_private_address_is_refused(monkeypatch, answers):
    """Every address a name resolves to must be public: one private answer is enough to refuse
    (the connection could land on it)."""
    real_getaddrinfo = socket.getaddrinfo

    def dns(host, port, *args, **kwargs):
        if host not in {"mixed.example.test", "public.example.test"}:
            return real_getaddrinfo(host, port, *args, **kwargs)
        mixed = host == "mixed.example.test"
        chosen = answers if mixed else [a for a in answers if a in PUBLIC]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in chosen
        ]

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with pytest.raises(downloads.DownloadError, match="private network") as info:
        downloads.check_url("http://mixed.example.test/x.png")
    assert info.value.permanent
    public = [a for a in answers if a in PUBLIC]  # the same name without its private answer
    assert downloads.check_url("http://public.example.test/x.png") == public


@pytest.mark.parametrize(
    "url", ["http://example.com:99999/x.png", "http://[::1/x.png", "http://:80/x.png"]
)
def test_malformed_links_are_a_clear_permanent_failure(url):
    with pytest.raises(downloads.DownloadError) as info:
        downloads.download(url, max_bytes=1000)
    assert info.value.permanent


def test_through_a_proxy_the_name_is_left_to_the_proxy(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "files.internal")
    assert downloads._via_proxy("https://cdn.example.test/a.png")
    assert not downloads._via_proxy("https://files.internal/a.png")
    assert not downloads._via_proxy("http://cdn.example.test/a.png")


def test_pinned_uses_the_idna_name_and_brackets_ipv6():
    url, headers, extensions = downloads.pinned("https://bücher.example/a.png", "203.0.113.9")
    assert url == "https://203.0.113.9/a.png"
    assert headers == {"Host": "xn--bcher-kva.example"}
    assert extensions == {"sni_hostname": "xn--bcher-kva.example"}
    _url, headers, _e = downloads.pinned("http://[2606:4700::1111]:8080/", "2606:4700::1111")
    assert headers == {"Host": "[2606:4700::1111]:8080"}


def test_pinned_https_keeps_the_name_for_tls_and_the_host_header():
    url, headers, extensions = downloads.pinned(
        "https://cdn.example.test/x/y.png?s=1", "203.0.113.9"
    )
    assert url == "https://203.0.113.9/x/y.png?s=1"
    assert headers == {"Host": "cdn.example.test"}
    assert extensions == {"sni_hostname": "cdn.example.test"}
    url, _h, _e = downloads.pinned("http://cdn.example.test:8080/a", "2001:db8::1")
    assert url == "http://[2001:db8::1]:8080/a"


def test_it_stops_reading_past_the_size_cap(server):
    base, routes = server
    routes["/big"] = (200, {}, b"\x89PNG\r\n\x1a\n" + b"0" * 50_000)
    with pytest.raises(downloads.DownloadError, match="larger than allowed"):
        downloads.download(f"{base}/big", max_bytes=10_000, allowed_hosts=_here(base))


def test_it_refuses_content_that_is_not_media(server):
    base, routes = server
    routes["/page"] = (
        200,
        {"Content-Type": "image/png"},
        b"<html><script>alert(1)</script></html>",
    )
    with pytest.raises(downloads.DownloadError, match="not an image or video"):
        downloads.download(f"{base}/page", max_bytes=10_000, allowed_hosts=_here(base))


def test_an_expired_link_is_a_permanent_failure(server):
    base, _routes = server
    with pytest.raises(downloads.DownloadError) as info:
        downloads.download(f"{base}/gone", max_bytes=10_000, allowed_hosts=_here(base))
    assert info.value.permanent and "expired" in str(info.value)


def test_thumbnails_of_a_4096_square_png_are_small_webps():
    big = io.BytesIO()
    Image.new("RGB", (4096, 4096), (10, 120, 200)).save(big, format="PNG")
    info = media_processing.process_image(big.getvalue())
    assert (info.width, info.height) == (4096, 4096)
    for name, edge in media_processing.THUMB_SIZES.items():
        thumb = Image.open(io.BytesIO(info.thumbs[name]))
        assert thumb.format == "WEBP" and max(thumb.size) == edge


def test_a_decompression_bomb_is_refused(settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    bomb = io.BytesIO()
    Image.new("1", (4000, 4000)).save(bomb, format="PNG")  # tiny file, 16 megapixels
    with pytest.raises(media_processing.MediaError, match="too large"):
        media_processing.process_image(bomb.getvalue())


def test_a_global_multicast_address_is_refused(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("224.0.1.1", port))
        ],
    )
    with pytest.raises(downloads.DownloadError, match="private network"):
        downloads.check_url("http://multicast.example.test/x.png")


def test_an_all_protocols_proxy_counts_as_a_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "http://proxy.internal:3128")
    assert downloads._via_proxy("https://cdn.example.test/a.png")
