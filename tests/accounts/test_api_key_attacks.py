"""Attacks on the team's Zcheap connection (issue 11, item 2): stealing the write-only API key by
pointing the base URL elsewhere, and using "Test connection" to reach and read our own network."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.models import Team
from tests.conftest import HTMX
from zcheap.simulator import SimConfig, running_simulator

pytestmark = pytest.mark.django_db

KEY = "sk-the-real-key-0001"
PUBLIC_HOST = "collector.example.net"


@pytest.fixture
def keyed_team(team_a) -> Team:
    team_a.set_api_key(KEY)
    team_a.save()
    return team_a


@pytest.fixture
def public_dns(monkeypatch):
    """PUBLIC_HOST resolves to a public address (no real DNS in tests); the rest as usual."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host == PUBLIC_HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


class _Listener:
    """A loopback HTTP server standing in for an internal service; counts what reaches it."""

    BODY = b'{"message": "internal-banner: redis_version:7.2 requirepass=hunter2"}'

    def __init__(self):
        listener = self
        self.hits: list[tuple[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                listener.hits.append((self.path, self.headers.get("Authorization", "")))
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(listener.BODY)))
                self.end_headers()
                self.wfile.write(listener.BODY)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_new_base_url_without_the_key_is_refused_and_keeps_the_key_home(
    alice, keyed_team, public_dns
):
    """The attack: save an empty key with a new base URL; the stored key then goes there."""
    response = alice.post("/team/api/", {"api_key": "", "base_url": f"https://{PUBLIC_HOST}"})
    assert response.status_code == 400
    assert "Enter the API key again" in response.content.decode()
    keyed_team.refresh_from_db()
    assert keyed_team.base_url == "" and keyed_team.api_key == KEY


def test_a_new_base_url_with_the_key_typed_again_is_saved(
    alice, keyed_team, public_dns, zcheap_accepts_keys
):
    response = alice.post(
        "/team/api/", {"api_key": "sk-typed-again-0002", "base_url": f"https://{PUBLIC_HOST}/"}
    )
    assert response.status_code == 302
    keyed_team.refresh_from_db()
    assert keyed_team.base_url == f"https://{PUBLIC_HOST}"
    assert keyed_team.api_key == "sk-typed-again-0002"
    assert zcheap_accepts_keys == [(f"https://{PUBLIC_HOST}", "sk-typed-again-0002")]


def test_saving_other_settings_with_the_same_base_url_needs_no_key(alice, keyed_team):
    for same in ("", "https://zcheap.ai/"):  # empty means the default, zcheap.ai
        assert alice.post("/team/api/", {"api_key": "", "base_url": same}).status_code == 302
    keyed_team.refresh_from_db()
    assert keyed_team.api_key == KEY


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379",
        "https://127.0.0.1:5432",
        "https://localhost",
        "https://0.0.0.0",
        "https://169.254.169.254",
        "https://[::1]:8000",
        "https://10.1.2.3",
        "https://192.168.0.1",
        "http://127.0.0.1:8765.evil",
    ],
)
def test_a_base_url_on_our_own_network_is_refused(alice, keyed_team, url):
    response = alice.post("/team/api/", {"api_key": "sk-new-key-00000003", "base_url": url})
    assert response.status_code == 400
    keyed_team.refresh_from_db()
    assert keyed_team.base_url == "" and keyed_team.api_key == KEY


def test_a_plain_http_base_url_is_refused_even_on_a_public_host(alice, keyed_team, public_dns):
    response = alice.post(
        "/team/api/", {"api_key": "sk-new-key-00000003", "base_url": f"http://{PUBLIC_HOST}"}
    )
    assert response.status_code == 400
    assert "https://" in response.content.decode()


def test_the_development_simulator_is_the_one_loopback_base_url_allowed(
    alice, keyed_team, settings, tmp_path
):
    with running_simulator(SimConfig.fast(state_path=tmp_path / "sim.db")) as url:
        settings.ZCHEAP_DEV_SIMULATOR_URL = url
        ok = alice.post("/team/api/", {"api_key": "sk-sim-key-000004", "base_url": url})
        assert ok.status_code == 302
        with _Listener() as listener:  # another loopback port: refused before any request
            other_port = alice.post(
                "/team/api/", {"api_key": "sk-sim-key-000005", "base_url": listener.url}
            )
    assert other_port.status_code == 400
    assert listener.hits == []
    keyed_team.refresh_from_db()
    assert keyed_team.api_key == "sk-sim-key-000004"


def test_test_connection_never_shows_what_answered(alice, keyed_team, settings):
    """The remote reply stays out of the page, even from a host we allow."""
    with _Listener() as listener:
        settings.ZCHEAP_DEV_SIMULATOR_URL = listener.url
        keyed_team.base_url = listener.url
        keyed_team.save()
        body = alice.post("/team/api/test/", **HTMX).content.decode()
    assert listener.hits  # it was really asked
    assert "Connection failed." in body
    assert "internal-banner" not in body and "hunter2" not in body


def test_test_connection_refuses_a_stored_base_url_on_our_network(alice, keyed_team):
    """A base URL saved before these rules (or by hand) gets a verdict, not a request."""
    with _Listener() as listener:
        keyed_team.base_url = listener.url
        keyed_team.save()
        body = alice.post("/team/api/test/", **HTMX).content.decode()
    assert listener.hits == []
    assert "Connection failed." in body and "https://" in body
