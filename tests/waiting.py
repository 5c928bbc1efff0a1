"""Waiting on a condition instead of sleeping a guessed time (tests stay fast on a quiet machine
and correct on a busy one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    fetch: Callable[[], T],
    done: Callable[[T], bool] = bool,
    *,
    timeout: float = 10.0,
    step: float = 0.05,
    what: str = "",
) -> T:
    """Call FETCH until DONE(result) holds and return that result; fail the test after TIMEOUT
    seconds (a condition that never comes is a failure, not a hang)."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {timeout}s for {what or done}: last {result!r}")
        time.sleep(step)
