"""The RQ worker `run_worker` starts with TASK_BACKEND=rq.

Our loops are scheduled jobs (`run_after`), which only the worker holding RQ's scheduler lock
moves to the queue. Stock RQ lets another worker try for that lock only at its maintenance run,
every ten minutes: stop the worker that holds it (an upgrade, a restart) and polling stalls for
that long. This worker wakes every few seconds and takes the scheduler over as soon as it is free.
"""

from __future__ import annotations

import time

from rq import Worker as RQWorker

TAKE_OVER_EVERY = 5.0  # seconds


class Worker(RQWorker):
    _last_try = 0.0

    @property
    def dequeue_timeout(self) -> int:
        # Wake from the blocking pop this often (RQ's default is minutes) to look at the lock.
        return min(super().dequeue_timeout, int(TAKE_OVER_EVERY))

    @property
    def should_run_maintenance_tasks(self) -> bool:
        if super().should_run_maintenance_tasks:
            return True
        self._take_over_scheduler()
        return False

    def _take_over_scheduler(self) -> None:
        if self._stop_requested or getattr(self, "_shutdown_requested_date", None):
            return  # stopping: taking the lock again would start a scheduler nothing stops
        scheduler = self.scheduler
        if scheduler is None or (scheduler._process and scheduler._process.is_alive()):
            return
        if time.monotonic() - self._last_try < TAKE_OVER_EVERY:
            return
        self._last_try = time.monotonic()
        scheduler.acquire_locks(auto_start=True)
