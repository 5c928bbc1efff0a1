"""Helpers for tests that run real worker processes against a throw-away SQLite database."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

# Twelve tasks, images and MJ imagines, each enqueued when its transaction commits.
SETUP = textwrap.dedent(
    """
    import django, os
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from django.db import transaction
    from accounts.models import Membership, Team, User
    from gallery.models import Generation
    from gallery.generation.tasks import start_generation
    team = Team.objects.create(name="Worker test")
    user = User.objects.create_user("w@example.com", "pw-worker-test-1")
    Membership.objects.create(team=team, user=user, role="owner")
    for i in range(12):
        kind, action, model = [("image", "generate", "gemini-3-pro-image-preview"),
                               ("mj", "imagine", "midjourney")][i % 2]
        with transaction.atomic():
            g = Generation.objects.create(team=team, user=user, kind=kind, action=action, model=model,
                                          prompt=f"task {i}")
            start_generation(g)
    """
)

# Never handed to a worker: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their live
# server, and a worker inheriting it would no longer catch a database call from a coroutine.
NOT_INHERITED = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for manage.py / scripts on a database and simulator of their own."""
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PYTEST") and k not in NOT_INHERITED
        },
        "PYTHONPATH": str(ROOT),
        "ZCHEAP_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ZCHEAP_SIMULATOR_DB": str(tmp_path / "sim.db"),
        "ZCHEAP_DEMO_SPEED": "fast",
        "ZCHEAP_DEMO_MODE": "1",
        "RECONCILE_SECONDS": "1",
        "TASK_BACKEND": "database",
        **extra,
    }


def run_script(env, script: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def states(env) -> list[tuple[str, str]]:
    """(state, remote id) of every generation, read straight from the worker's SQLite file: a
    Python process per look (with django.setup) takes a second on a busy machine, long enough for
    the tasks to move on before a test acts on what it saw."""
    database = env["DATABASE_URL"].removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as connection:
        rows = connection.execute("SELECT state, remote_id FROM gallery_generation ORDER BY id")
        return [tuple(row) for row in rows.fetchall()]


def migrate(env) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def start_worker(env, tmp_path: Path, name: str, *args: str) -> subprocess.Popen:
    """`manage.py run_worker` in its own process group, logging to TMP_PATH/NAME.log."""
    with open(tmp_path / f"{name}.log", "w") as log:  # the child keeps its own copy of the fd
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_all_done(env, seconds: float, every: float = 0.3) -> None:
    """Poll the generations' states until all are done or SECONDS have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and {s for s, _ in states(env)} != {"done"}:
        time.sleep(every)


def stop_worker(process: subprocess.Popen) -> None:
    """SIGTERM the worker's process group; SIGKILL it if it has not stopped within 20 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
