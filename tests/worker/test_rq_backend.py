"""The alternative queue backend: with TASK_BACKEND=rq, `run_worker` runs RQ's worker and
scheduler, and a generation goes from submit to a stored result through Redis."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.worker.test_killed_worker import ROOT, SETUP, _run, _states

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def rq_env(tmp_path):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (CI must test the RQ backend)")
        pytest.skip("no Redis on 127.0.0.1:6379")
    import redis

    url = f"redis://{REDIS[0]}:{REDIS[1]}/{random.randint(1, 15)}"  # away from db 0
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    yield {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "PYTHONPATH": str(ROOT),
        "ZCHEAP_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ZCHEAP_SIMULATOR_DB": str(tmp_path / "sim.db"),
        "ZCHEAP_DEMO_SPEED": "fast",
        "RECONCILE_SECONDS": "1",
        "TASK_BACKEND": "rq",
        "REDIS_URL": url,
    }
    connection.flushdb()


@pytest.mark.slow
def test_generations_finish_through_redis_with_the_rq_worker(rq_env, tmp_path):
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=rq_env, check=True
    )
    _run(rq_env, SETUP)  # 12 tasks: images and MJ imagines, enqueued on commit (into Redis)
    log = open(tmp_path / "rq.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"],
        cwd=ROOT,
        env=rq_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and {s for s, _ in _states(rq_env)} != {"done"}:
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    states = _states(rq_env)
    assert {s for s, _ in states} == {"done"}, ((tmp_path / "rq.log").read_text()[-3000:], states)
