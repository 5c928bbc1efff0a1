from __future__ import annotations

import time
import uuid

import pytest

from zcheap.client import ZcheapClient
from zcheap.simulator import SimConfig, running_simulator


@pytest.fixture
def sim_url(tmp_path):
    """A simulator of the test's own (fresh state: quota, tasks, counters), so no test depends
    on what ran before it."""
    config = SimConfig.fast(state_path=tmp_path / "state.db", asset_quota_max=5)
    with running_simulator(config) as url:
        yield url


@pytest.fixture
def client(sim_url):
    """Each test its own key, so its own simulated account (tasks, assets, quota)."""
    key = f"sk-test-key-0001-{uuid.uuid4().hex[:8]}"
    with ZcheapClient(sim_url, key, max_retries=1, backoff=0.01) as c:
        yield c


def wait_for(fetch, done, timeout: float = 5.0, step: float = 0.05):
    """Call FETCH until DONE(result) is true; return the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if done(result) or time.monotonic() > deadline:
            return result
        time.sleep(step)
