"""A real run_worker process killed with SIGKILL mid-flight, then restarted: every task finishes
and the simulator counts exactly one submit per task."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SETUP = textwrap.dedent(
    """
    import django, os
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from django.db import transaction
    from accounts.models import Membership, Team, User
    from gallery.models import Generation
    from gallery.tasks import start_generation
    team = Team.objects.create(name="Kill test")
    user = User.objects.create_user("k@example.com", "pw-kill-test-1")
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

STATES = textwrap.dedent(
    """
    import django, os, json
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from gallery.models import Generation
    print(json.dumps(list(Generation.objects.values_list("state", "remote_id"))))
    """
)


@pytest.fixture
def env(tmp_path):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "PYTHONPATH": str(ROOT),
        "ZCHEAP_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ZCHEAP_SIMULATOR_DB": str(tmp_path / "sim.db"),
        "ZCHEAP_DEMO_SPEED": "fast",
        "WORKER_LEASE_SECONDS": "3",
        "RECONCILE_SECONDS": "1",
        "TASK_BACKEND": "database",
    }


def _run(env, script: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _states(env) -> list[tuple[str, str]]:
    import json

    return [tuple(x) for x in json.loads(_run(env, STATES))]


def _worker(env, tmp_path, name):
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_and_submits_nothing_twice(env, tmp_path):
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    _run(env, SETUP)
    first = _worker(env, tmp_path, "first")
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:  # wait until everything was sent, nothing finished
            states = _states(env)
            if all(remote for _, remote in states):
                break
            time.sleep(0.2)
        assert all(remote for _, remote in _states(env)), (tmp_path / "first.log").read_text()[
            -2000:
        ]
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    killed_states = {state for state, _ in _states(env)}
    assert killed_states - {"done"}, "the worker was killed too late to test recovery"

    second = _worker(env, tmp_path, "second")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and {s for s, _ in _states(env)} != {"done"}:
            time.sleep(0.3)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=20)
    states = _states(env)
    assert {s for s, _ in states} == {"done"}, (
        (tmp_path / "second.log").read_text()[-3000:],
        states,
    )
    with sqlite3.connect(tmp_path / "sim.db") as sim:
        submits = dict(
            sim.execute("SELECT name, n FROM counters WHERE name LIKE 'submit.%'").fetchall()
        )
    assert submits == {"submit.image": 6, "submit.mj": 6}
