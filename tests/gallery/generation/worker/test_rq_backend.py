"""The alternative queue backend: with TASK_BACKEND=rq, `run_worker` runs RQ's worker and
scheduler, and a generation goes from submit to a stored result through Redis."""

from __future__ import annotations

import os
import socket

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

REDIS = ("127.0.0.1", 6379)
# A database number kept for this test (not 0, where an app's queues live by default). The Redis
# is shared (other checkouts, CI, maybe a running app), so the test never flushes anything: it
# takes a lock, notes the keys already there, and deletes only the keys its run added.
TEST_DB = int(os.environ.get("ZCHEAP_TEST_REDIS_DB", "15"))
LOCK = "zcheap-tests:rq-backend:lock"


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

    url = f"redis://{REDIS[0]}:{REDIS[1]}/{TEST_DB}"
    connection = redis.Redis.from_url(url)
    # One run at a time on this database: another checkout's worker would take our jobs.
    with connection, connection.lock(LOCK, timeout=600, blocking_timeout=600):
        before = set(connection.keys())
        try:
            yield worker_env(tmp_path, TASK_BACKEND="rq", REDIS_URL=url)
        finally:
            ours = set(connection.keys()) - before - {LOCK.encode()}
            if ours:
                connection.delete(*ours)


@pytest.mark.slow
def test_generations_finish_through_redis_with_the_rq_worker(rq_env, tmp_path):
    migrate(rq_env)
    run_script(rq_env, SETUP)  # enqueued on commit: into Redis
    worker = start_worker(rq_env, tmp_path, "rq")
    try:
        wait_until_all_done(rq_env, seconds=90, every=0.5)
    finally:
        stop_worker(worker)
    final = states(rq_env)
    assert {s for s, _ in final} == {"done"}, ((tmp_path / "rq.log").read_text()[-3000:], final)
