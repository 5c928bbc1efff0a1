"""A real run_worker process killed with SIGKILL mid-flight, then restarted: every task finishes
and the simulator counts exactly one submit per task."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

from tests.gallery.generation.worker.processes import (
    SETUP,
    migrate,
    run_script,
    start_worker,
    states,
    stop_worker,
    wait_until_all_done,
    worker_env,
)


@pytest.fixture
def env(tmp_path):
    # Demo timing (a few seconds a task): the kill must land while tasks are still running,
    # which the fast timing no longer guarantees now that polling starts at once.
    return worker_env(tmp_path, WORKER_LEASE_SECONDS="3", ZCHEAP_DEMO_SPEED="demo")


def _worker(env, tmp_path, name):
    return start_worker(env, tmp_path, name, "--interval", "0.1")


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_and_submits_nothing_twice(env, tmp_path):
    migrate(env)
    run_script(env, SETUP)
    first = _worker(env, tmp_path, "first")
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:  # wait until everything was sent, nothing finished
            now = states(env)
            if all(remote for _, remote in now):
                break
            time.sleep(0.2)
        assert all(remote for _, remote in states(env)), (tmp_path / "first.log").read_text()[
            -2000:
        ]
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    killed_states = {state for state, _ in states(env)}
    assert killed_states - {"done"}, "the worker was killed too late to test recovery"

    second = _worker(env, tmp_path, "second")
    try:
        wait_until_all_done(env, seconds=60)
    finally:
        stop_worker(second)
    final = states(env)
    assert {s for s, _ in final} == {"done"}, ((tmp_path / "second.log").read_text()[-3000:], final)
    with sqlite3.connect(tmp_path / "sim.db") as sim:
        submits = dict(
            sim.execute("SELECT name, n FROM counters WHERE name LIKE 'submit.%'").fetchall()
        )
    assert submits == {"submit.image": 6, "submit.mj": 6}
