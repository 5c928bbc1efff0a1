"""Idle lane threads take turns looking at the queue (gallery/generation/lanes.py LookTurn): an
idle worker costs one look per lane and interval, not one per thread, and a burst of work is
still taken up by every thread at once."""

from __future__ import annotations

import threading
import time

from gallery.generation.lanes import LookTurn, _lane_worker_class

INTERVAL = 0.05


class _Queue:
    def __init__(self):
        self.lock = threading.Lock()
        self.items: list[int] = []
        self.looks = 0
        self.started: list[float] = []


def _workers(queue: _Queue, count: int):
    base = _lane_worker_class()

    class Fake(base):
        def _claim(self):
            with queue.lock:
                queue.looks += 1
                return queue.items.pop() if queue.items else None

        def run_task(self, task_result):
            with queue.lock:
                queue.started.append(time.monotonic())
            time.sleep(0.3)

    turn = LookTurn()
    workers = [
        Fake(
            turn=turn,
            queue_names=["submit"],
            interval=INTERVAL,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"test:{n}",
            excluded_queue_names=[],
        )
        for n in range(count)
    ]
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    return turn, workers, threads


def _stop(turn, workers, threads) -> float:
    began = time.monotonic()
    for worker in workers:
        worker.running = False
    turn.wake_all()
    for thread in threads:
        thread.join(5)
    assert not any(t.is_alive() for t in threads)
    return time.monotonic() - began


def test_idle_threads_look_in_turn_and_a_burst_wakes_them_all(monkeypatch):
    queue = _Queue()
    turn, workers, threads = _workers(queue, 8)
    try:
        time.sleep(0.2)  # every thread has looked once and found nothing
        before = queue.looks
        time.sleep(1.0)
        idle_looks = queue.looks - before
        # One thread looks every INTERVAL (about 20 looks); eight threads each looking every
        # INTERVAL would be about 160.
        assert idle_looks <= 30, idle_looks

        put_at = time.monotonic()
        with queue.lock:
            queue.items.extend(range(8))
        time.sleep(0.25)
        with queue.lock:
            started = list(queue.started)
        # All eight run at once: the looker found one and woke the seven waiting threads.
        assert len(started) == 8, started
        assert max(started) - put_at < INTERVAL + 0.15
    finally:
        stopped_in = _stop(turn, workers, threads)
    assert stopped_in < 1.0  # waiting threads are woken to stop, not left for WAIT_MAX
