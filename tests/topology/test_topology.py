"""The production topology, booted and driven through nginx as a person would (see stack.py and
the README's "Deployment" section, which is the runbook this follows).

Run by CI (`.ci/run`) with `pytest -m topology tests/topology`; skipped from the ordinary run.
Needs root or nginx installed, PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sqlite3
import ssl
import time
import zipfile
from pathlib import Path

import pytest

from tests.topology.stack import Stack, listening, nginx_binary

pytestmark = [pytest.mark.topology, pytest.mark.slow]

PASSWORD = "topology-pass-7731"
DONE = "done"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if os.environ.get("CI") is None:
        missing = [
            what
            for what, ok in [
                ("nginx", nginx_binary()),
                ("PostgreSQL", listening(5432)),
                ("Redis", listening(6379)),
            ]
            if not ok
        ]
        if missing:
            pytest.skip(f"needs {', '.join(missing)} on this machine")
    stack = Stack(tmp_path_factory.mktemp("topology"))
    try:
        stack.start()
        stack.manage("createteam", "Studio", "--owner", "ann@example.com", "--password", PASSWORD)
        stack.manage("createteam", "Other", "--owner", "otto@example.com", "--password", PASSWORD)
        yield stack
    finally:
        stack.stop()


class Browser:
    """An HTTPS client that trusts only the stack's certificate and keeps its cookies (closed
    after each test by `_close_browsers`: leaked sockets fail the run)."""

    opened: list[Browser] = []

    def __init__(self, stack: Stack):
        import httpx

        self.base = stack.base
        context = ssl.create_default_context(cafile=str(stack.cert))
        self.http = httpx.Client(base_url=stack.base, verify=context, timeout=30)
        Browser.opened.append(self)

    def get(self, path: str, **kwargs):
        return self.http.get(path, **kwargs)

    def post(self, path: str, data: dict, **kwargs):
        data = {**data, "csrfmiddlewaretoken": self.http.cookies.get("csrftoken", "")}
        headers = {"Origin": self.base, "Referer": self.base + path}
        return self.http.post(path, data=data, headers=headers, **kwargs)

    def log_in(self, email: str) -> None:
        page = self.get("/accounts/login/")
        assert page.status_code == 200
        response = self.post("/accounts/login/", {"login": email, "password": PASSWORD})
        assert response.status_code == 302, response.text[:2000]
        assert self.get("/").status_code == 200


@pytest.fixture(autouse=True)
def _close_browsers():
    yield
    while Browser.opened:
        Browser.opened.pop().http.close()


def query(stack: Stack, sql: str, *params) -> list[tuple]:
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        return conn.execute(sql, params).fetchall()


def generations(stack: Stack) -> dict[int, tuple[str, str, str]]:
    rows = query(stack, "SELECT id, state, kind, remote_id FROM gallery_generation ORDER BY id")
    return {pk: (state, kind, remote) for pk, state, kind, remote in rows}


def wait_until_done(stack: Stack, ids, seconds: float) -> dict[int, str]:
    deadline = time.monotonic() + seconds
    while True:
        states = {pk: row[0] for pk, row in generations(stack).items() if pk in set(ids)}
        if set(states.values()) == {DONE} or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def new_generation(stack: Stack, before: set[int]) -> int:
    (pk,) = set(generations(stack)) - before
    return pk


def submits(stack: Stack) -> dict[str, int]:
    """The simulator's own count of submits it received, by kind."""
    path = stack.data / "simulator" / "state.db"
    if not path.exists():  # nothing was submitted yet
        return {}
    with sqlite3.connect(path) as sim:
        rows = sim.execute("SELECT name, n FROM counters WHERE name LIKE 'submit.%'").fetchall()
    return dict(rows)


def logs(stack: Stack) -> str:
    return "\n".join(f"== {name}\n{stack.tail(name)}" for name in stack.procs)


def test_tls_static_files_and_the_health_check_come_through_nginx(stack):
    browser = Browser(stack)
    assert browser.get("/healthz").json()["database"] == "ok"
    login = browser.get("/accounts/login/")
    assert login.headers["Strict-Transport-Security"].startswith("max-age=")
    css = re.search(r'href="(/static/[^"]+\.css)"', login.text).group(1)
    static = browser.get(css)
    assert static.status_code == 200 and "immutable" in static.headers["Cache-Control"]
    import httpx

    plain = httpx.get(f"http://127.0.0.1:{stack.ports['http']}/gallery/")
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    # The request id nginx made is the one the app answers with and nginx logged.
    rid = login.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)
    time.sleep(0.2)  # nginx writes its access log line after the response
    assert f"rid={rid}" in (stack.nginx_logs / "zcheap-studio.access.log").read_text()


def test_a_member_creates_an_image_mj_with_u1_and_a_video_then_browses_and_downloads(stack):
    ann = Browser(stack)
    ann.log_in("ann@example.com")
    created = []
    forms = [
        (
            "/create/image/",
            {
                "model": "gemini-3-pro-image-preview",
                "prompt": "a red fox",
                "aspect_ratio": "16:9",
                "size": "2K",
            },
        ),
        ("/create/midjourney/", {"prompt": "a castle on a hill"}),
        (
            "/create/video/",
            {
                "model": "ima-pro",
                "prompt": "waves at dawn",
                "role_mode": "reference",
                "duration": "5",
                "resolution": "720p",
                "aspect_ratio": "16:9",
            },
        ),
    ]
    for path, data in forms:
        before = set(generations(stack))
        response = ann.post(path, data)
        assert response.status_code == 302, (path, response.text[:2000])
        created.append(new_generation(stack, before))
    image, mj, video = created
    states = wait_until_done(stack, created, seconds=120)
    assert set(states.values()) == {DONE}, (states, logs(stack))

    before = set(generations(stack))
    assert ann.post(f"/tasks/{mj}/mj/", {"do": "upscale:1"}).status_code == 302
    upscale = new_generation(stack, before)
    states = wait_until_done(stack, [upscale], seconds=90)
    assert states == {upscale: DONE}, (states, logs(stack))
    assert ann.get(f"/tasks/{upscale}/").status_code == 200

    items = query(
        stack,
        "SELECT id, generation_id, sha256, file FROM gallery_mediaitem ORDER BY id",
    )
    made = {gen for _, gen, _, _ in items}
    assert {image, mj, video, upscale} <= made
    assert len([i for i in items if i[1] == mj]) == 4  # the grid's four images

    gallery = ann.get("/gallery/")
    assert gallery.status_code == 200
    for pk, *_ in items:
        assert f"/media/{pk}/" in gallery.text

    # Every original through nginx, fetched from S3 after the access check, byte for byte.
    for pk, _, sha, _ in items:
        response = ann.get(f"/media/{pk}/")
        assert response.status_code == 200, (pk, response.text[:500])
        assert "X-Accel-Redirect" not in response.headers
        assert hashlib.sha256(response.content).hexdigest() == sha
    download = ann.get(f"/media/{items[0][0]}/?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    assert download.headers["Content-Type"].startswith("image/")
    video_item = next(pk for pk, gen, _, _ in items if gen == video)
    part = ann.get(f"/media/{video_item}/", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert ann.get(f"/media/{video_item}/poster/").headers["Content-Type"] == "image/webp"

    ids = [pk for pk, *_ in items]
    response = ann.post("/gallery/download.zip", {"item": ids})
    assert response.status_code == 200, response.text[:500]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert len(archive.namelist()) == len(ids)
    assert sorted(hashlib.sha256(archive.read(n)).hexdigest() for n in archive.namelist()) == (
        sorted(sha for *_, sha, _ in items)
    )

    # The access check holds behind nginx: another team's owner, a stranger, the internal path.
    otto = Browser(stack)
    otto.log_in("otto@example.com")
    stranger = Browser(stack)
    for pk in ids[:2]:
        assert otto.get(f"/media/{pk}/").status_code == 404
        assert stranger.get(f"/media/{pk}/").status_code == 302  # to the login page
    key = items[0][3]
    for path in (f"/protected-media/{key}", f"/protected-media/zcheap-topology/{key}"):
        assert ann.get(path).status_code == 404


def _parent(pid: int) -> int | None:
    stat = Path(f"/proc/{pid}/stat")
    return int(stat.read_text().rsplit(")", 1)[1].split()[1]) if stat.exists() else None


def _scheduler_holder(stack: Stack, names: list[str]) -> str:
    """Which worker holds RQ's scheduler lock for the loops' queue (its scheduler process is a
    child of that worker's `--lane loops` process)."""
    from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler

    connection = stack.redis()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        owner = connection.get(RQScheduler.get_locking_key("loops"))
        if owner:
            pid = connection.hget(SCHEDULER_KEY_TEMPLATE % owner.decode(), "pid")
            ancestors, step = [], int(pid) if pid else None
            while step and len(ancestors) < 4:
                ancestors.append(step)
                step = _parent(step)
            for name in names:
                if stack.procs[name].pid in ancestors:
                    return name
        time.sleep(0.5)
    raise AssertionError("no worker holds RQ's scheduler lock")


def test_stopping_a_worker_mid_flight_loses_nothing_and_sends_nothing_twice(stack):
    ann = Browser(stack)
    ann.log_in("ann@example.com")
    sent_before = sum(submits(stack).values())
    before = set(generations(stack))
    for i in range(6):
        path, data = [
            (
                "/create/image/",
                {
                    "model": "gemini-3-pro-image-preview",
                    "prompt": f"fox {i}",
                    "aspect_ratio": "1:1",
                    "size": "1K",
                },
            ),
            ("/create/midjourney/", {"prompt": f"castle {i}"}),
        ][i % 2]
        assert ann.post(path, data).status_code == 302
    batch = sorted(set(generations(stack)) - before)
    assert len(batch) == 6

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # all sent, none finished: the workers are mid-flight
        rows = generations(stack)
        if all(rows[pk][2] for pk in batch):
            break
        time.sleep(0.2)
    rows = generations(stack)
    assert {rows[pk][0] for pk in batch} - {DONE}, "finished before the worker could be stopped"

    victim = _scheduler_holder(stack, ["worker-1", "worker-2"])
    started = time.monotonic()
    assert stack.stop_gracefully(victim) == 0, stack.tail(victim)
    stopped_in = time.monotonic() - started

    # Well inside WORKER_LEASE_SECONDS (120 s): nothing waits for a lease to run out.
    states = wait_until_done(stack, batch, seconds=75)
    assert set(states.values()) == {DONE}, (states, logs(stack))
    assert sum(submits(stack).values()) - sent_before == 6
    print(f"\n{victim} stopped gracefully in {stopped_in:.1f} s; the other finished the rest")


def test_a_backup_restores_into_a_fresh_database_with_every_media_file_there(stack):
    """The README's backup and restore, as far as one machine can: pg_dump -Fc, pg_restore into
    a new database, and every file the restored rows name is in the bucket."""
    import subprocess

    import boto3
    import psycopg

    from tests.topology.stack import BUCKET, PG

    ann = Browser(stack)
    ann.log_in("ann@example.com")
    before = set(generations(stack))
    image = {"model": "gemini-3-pro-image-preview", "prompt": "kept", "aspect_ratio": "1:1"}
    assert ann.post("/create/image/", {**image, "size": "1K"}).status_code == 302
    made = new_generation(stack, before)
    assert wait_until_done(stack, [made], seconds=60) == {made: DONE}, logs(stack)

    dump = stack.work / "backup.dump"
    target = f"{stack.database}_restored"
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["pg_dump", *pg, "-Fc", "-f", str(dump), stack.database], check=True)
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(
            ["pg_restore", *pg, "--no-owner", "-d", target, str(dump)],
            check=True,
            capture_output=True,
        )
        count = "SELECT (SELECT count(*) FROM gallery_generation), (SELECT count(*) FROM gallery_mediaitem), (SELECT count(*) FROM accounts_team)"
        with psycopg.connect(f"{PG}/{target}") as restored:
            assert restored.execute(count).fetchone() == query(stack, count)[0]
            files = [
                name
                for row in restored.execute(
                    "SELECT file, thumbnail, thumbnail_small, poster FROM gallery_mediaitem"
                )
                for name in row
                if name
            ]
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.env["AWS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="topology",
        aws_secret_access_key="topology-secret",
    )
    assert files
    for name in files:
        s3.head_object(Bucket=BUCKET, Key=name)


def test_an_upgrade_in_place_keeps_serving(stack):
    """The README's upgrade steps 3-5 with the app running: migrate, collectstatic, reload
    gunicorn (HUP), restart the workers one at a time; no request fails meanwhile."""
    import signal
    import threading

    assert "No migrations to apply" in stack.manage("migrate", "--no-input")
    stack.manage("collectstatic", "--no-input", "-v", "0")
    browser = Browser(stack)
    statuses: list[int] = []
    done = threading.Event()

    def keep_asking():
        while not done.is_set() and len(statuses) < 2000:
            statuses.append(browser.get("/healthz").status_code)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        old_workers = set(_children(stack.procs["gunicorn"].pid))
        stack.procs["gunicorn"].send_signal(signal.SIGHUP)  # systemctl reload zcheap-web
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(_children(stack.procs["gunicorn"].pid))
            if len(now) >= 2 and not now & old_workers:
                break
            time.sleep(0.2)
        assert not set(_children(stack.procs["gunicorn"].pid)) & old_workers
    finally:
        done.set()
        asker.join()
    assert statuses and set(statuses) == {200}, statuses[-20:]

    for name in ("worker-1", "worker-2"):  # systemctl restart zcheap-worker@N, one at a time
        if stack.procs[name].poll() is None:
            assert stack.stop_gracefully(name) == 0, stack.tail(name)
        stack.start_worker(name)
    ann = Browser(stack)
    ann.log_in("ann@example.com")
    before = set(generations(stack))
    image = {"model": "gemini-3-pro-image-preview", "prompt": "after", "aspect_ratio": "1:1"}
    assert ann.post("/create/image/", {**image, "size": "1K"}).status_code == 302
    made = new_generation(stack, before)
    assert wait_until_done(stack, [made], seconds=60) == {made: DONE}, logs(stack)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []
