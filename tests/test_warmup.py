"""Warm web processes (zcheap_site/warmup.py, deploy/gunicorn.conf.py): the master warms the app
before it forks, opens nothing a worker could inherit, and the pages it warmed still show the
same layout in both languages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.urls import reverse

from zcheap_site import fast_i18n, fast_static
from zcheap_site.warmup import warm

ROOT = Path(__file__).resolve().parent.parent


def test_warming_touches_no_database_and_no_cache():
    """No `django_db` mark: pytest-django refuses any database access in this test, so a query
    or a connection opened by the warm-up fails it."""
    before = {id(c) for c in caches.all(initialized_only=True)}
    done = warm()
    assert {id(c) for c in caches.all(initialized_only=True)} <= before
    assert all(c.connection is None for c in connections.all(initialized_only=True))
    assert done["templates"] >= 10
    assert done["translations"] > 100
    assert done["static"] >= 11
    # Both languages' layout text and the static URLs are ready before any request.
    assert fast_i18n._rendered[("zh-hans", "Gallery", True)] == "画廊"
    assert fast_i18n._rendered[("en", "Gallery", True)] == "Gallery"
    assert "css/app.css" in fast_static._urls


@pytest.mark.django_db
def test_the_layout_after_warming(alice, monkeypatch):
    monkeypatch.setattr(connections, "close_all", lambda: None)  # the test's transaction stays
    warm()
    for code, gallery, history in [("en", "Gallery", "History"), ("zh-hans", "画廊", "历史记录")]:
        alice.cookies["django_language"] = code
        page = alice.get(reverse("gallery:browse")).content.decode()
        assert f'<html lang="{code}">' in page
        assert f'<option value="{code}" selected>' in page
        assert f'aria-current="page">{gallery}</a>' in page
        assert f">{history}</a>" in page
        assert "selected>Team Aurora" in page  # the team switcher shows the current team
        assert "/static/css/app.css" in page


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def _database_files(pid: int, name: str) -> list[str]:
    """The files of PID's open descriptors that are the SQLite database (or its journal)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(name):
            found.append(target)
    return found


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gunicorn_preloads_warms_and_forks_without_a_connection(tmp_path):
    """gunicorn with the deployment's settings: the master warms before forking, holds no
    database connection (SQLite: no open file of the database), and a HUP still replaces every
    worker while answers keep coming."""
    if connection.vendor != "sqlite":
        pytest.skip("the open-file check reads SQLite's database file")
    name = connection.settings_dict["NAME"]
    port = _port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zcheap_site.settings",
        "DATABASE_URL": f"sqlite:///{name}",
        "ZCHEAP_DATA_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": "test-only-secret-key-0123456789-0123456789-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "zcheap_site.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(url, timeout=5).json()["database"] == "ok"
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        for _ in range(10):
            assert httpx.get(url, timeout=5).json()["database"] == "ok"
        assert "warmed in" in log.read_text()
        assert not _database_files(server.pid, name)
        old = _children(server.pid)
        assert len(old) == 2
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while old & _children(server.pid) or len(_children(server.pid)) < 2:
            assert httpx.get(url, timeout=5).status_code == 200
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert httpx.get(url, timeout=5).json()["database"] == "ok"
        assert not _database_files(server.pid, name)
    finally:
        server.terminate()
        server.wait(timeout=40)
