"""The worker's lanes: one `run_worker` serves every task queue at once.

Before lanes, one worker took one task at a time in queue order: a 20-second poll turn, or a
submit hanging until its read timeout, held up every submit and ingest behind it. Now each queue
(settings.TASK_QUEUES) has its own workers: with the database backend, threads of
django-tasks-db's worker in this process (SUBMIT_CONCURRENCY for submits, INGEST_CONCURRENCY for
ingests, one for the rest) and the loops in a child process of their own (polling is CPU-bound
in httpx; sharing one GIL with submits and ingests cut the poll rate); with RQ, one RQ worker
process per queue. Child processes are started, restarted and stopped (SIGTERM passed on) by
this process, and get SIGTERM if it dies, even by SIGKILL (Linux).

The process also writes a heartbeat (a WorkerLoop row named ``worker:<host>:<pid>``) that
/healthz reports.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from gallery.models import WorkerLoop

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds
HEARTBEAT_PREFIX = "worker:"
LOOPS_LANE = "loops"
POLL_LANE = "poll"  # not a task queue: a process that polls continuously (poller.py)


def lane_sizes() -> dict[str, int]:
    """How many workers each queue gets in one `run_worker` (database backend)."""
    sizes = {queue: 1 for queue in settings.TASK_QUEUES}
    sizes["submit"] = max(1, settings.SUBMIT_CONCURRENCY)
    sizes["ingest"] = max(1, settings.INGEST_CONCURRENCY)
    return sizes


# --- heartbeat -------------------------------------------------------------------------------
def heartbeat_name() -> str:
    return f"{HEARTBEAT_PREFIX}{socket.gethostname()[:24]}:{os.getpid()}"[:40]


def beat(name: str) -> None:
    """Say this worker is alive; forget workers silent for a day (killed ones leave a row)."""
    now = timezone.now()
    WorkerLoop.objects.update_or_create(name=name, defaults={"run_at": now, "token": ""})
    WorkerLoop.objects.filter(
        name__startswith=HEARTBEAT_PREFIX, run_at__lt=now - timedelta(days=1)
    ).delete()


def last_heartbeat():
    """When the most recent worker said it was alive, or None."""
    row = (
        WorkerLoop.objects.filter(name__startswith=HEARTBEAT_PREFIX, run_at__isnull=False)
        .order_by("-run_at")
        .first()
    )
    return row.run_at if row else None


def worker_heartbeats() -> list[tuple[str, object]]:
    """(host:pid, last heartbeat) of every worker heard from in the last day, newest first."""
    rows = WorkerLoop.objects.filter(name__startswith=HEARTBEAT_PREFIX, run_at__isnull=False)
    return [
        (name[len(HEARTBEAT_PREFIX) :], run_at)
        for name, run_at in rows.order_by("-run_at").values_list("name", "run_at")
    ]


def _beat_safely(name: str) -> None:
    try:
        close_old_connections()
        beat(name)
    except Exception:  # the database is down for a moment: the next beat will tell
        log.warning("worker heartbeat failed", exc_info=True)


# --- database backend: threads ---------------------------------------------------------------
class LookTurn:
    """Idle threads of one lane take turns looking at the queue.

    django-tasks-db's worker looks every INTERVAL when it has nothing to do: with 16 submit and
    4 ingest threads that was 40 claim transactions a second (four round trips each) in an idle
    `run_worker`, 0.17 cores of CPU doing nothing. Now one idle thread of a lane looks every
    INTERVAL; the others wait until it finds work (then all look at once, so a burst is taken
    up by every thread) or until they are woken to stop. A thread that has just finished a task
    looks again at once, without waiting for its turn: a busy lane never waits."""

    WAIT_MAX = 5.0  # seconds: a waiting thread looks by itself at least this often

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._looker: int | None = None  # the thread whose turn it is

    def take(self) -> bool:
        """True if the calling thread now has the turn (or already had it)."""
        me = threading.get_ident()
        with self._cond:
            if self._looker in (None, me):
                self._looker = me
                return True
            return False

    def found(self) -> None:
        """The calling thread found work: give the turn up and wake every waiting thread."""
        me = threading.get_ident()
        with self._cond:
            if self._looker == me:
                self._looker = None
            self._cond.notify_all()

    def wait(self) -> None:
        with self._cond:
            self._cond.wait(self.WAIT_MAX)

    def wake_all(self) -> None:
        with self._cond:
            self._looker = None
            self._cond.notify_all()


def _lane_worker_class():
    from django.db.utils import OperationalError
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    class LaneWorker(Worker):
        """django-tasks-db's worker for one queue, whose idle threads share a LookTurn."""

        def __init__(self, *args, turn: LookTurn, **kwargs):
            super().__init__(*args, **kwargs)
            self.turn = turn

        def _claim(self):
            tasks = DBTaskResult.objects.ready().filter(
                backend_name=self.backend_name, queue_name__in=self.queue_names
            )
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                except OperationalError as error:  # SQLite busy: try again later
                    if is_locked_database_exception(error):
                        return None
                    raise
                if task_result is not None:
                    task_result.claim(self.worker_id)  # no other worker runs it now
                return task_result

        def run(self) -> None:
            just_worked = False
            while self.running:
                close_old_connections()
                if not just_worked and not self.turn.take():
                    self.turn.wait()  # until the looker finds work (or WAIT_MAX)
                    if not self.running:
                        break
                task_result = self._claim()
                just_worked = task_result is not None
                if task_result is None:
                    if self.turn.take():  # our turn: look again after INTERVAL
                        time.sleep(self.interval)
                    continue
                self.turn.found()
                self.run_task(task_result)

    return LaneWorker


def _lane_workers(queues: dict[str, int], interval: float, name: str):
    """(LaneWorker per thread, LookTurn per queue) for QUEUES {queue: threads}."""
    Worker = _lane_worker_class()
    turns = {queue: LookTurn() for queue in queues}
    workers = [
        Worker(
            turn=turns[queue],
            queue_names=[queue],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"{name[len(HEARTBEAT_PREFIX) :]}:{queue}:{n}"[:64],
            excluded_queue_names=[],
        )
        for queue, count in queues.items()
        for n in range(count)
    ]
    return workers, turns


def _stop_workers(workers, turns) -> None:
    for worker in workers:
        worker.running = False
    for turn in turns.values():
        turn.wake_all()


def _start_threads(workers, stopping: threading.Event) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=_serve, args=(w, stopping), name=w.worker_id, daemon=True)
        for w in workers
    ]
    for thread in threads:
        thread.start()
    return threads


def run_lane_threads(queue: str, interval: float) -> None:
    """`run_worker --lane QUEUE` (database backend): that queue's threads (lane_sizes) in this
    process until SIGTERM/SIGINT; each finishes the task at hand."""
    name = heartbeat_name()
    workers, turns = _lane_workers({queue: lane_sizes()[queue]}, interval, name)
    stopping = threading.Event()

    def stop(signum, frame):
        stopping.set()
        _stop_workers(workers, turns)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for thread in _start_threads(workers, stopping):
        thread.join()


def _child_keys() -> dict[str, tuple[str, ...]]:
    """The lane processes a database-backend `run_worker` starts: {name: run_worker arguments}.
    Polling and ingesting are CPU-bound (httpx; Django's ORM, Pillow) and each process has one
    GIL, so they run in processes of their own, POLL_PROCESSES and INGEST_PROCESSES of them."""
    keys: dict[str, tuple[str, ...]] = {LOOPS_LANE: (LOOPS_LANE,)}
    keys.update({key: (POLL_LANE,) for key in _poll_keys()})
    for n in range(1, settings.INGEST_PROCESSES + 1):
        keys["ingest" if n == 1 else f"ingest:{n}"] = ("ingest",)
    return keys


def run_database_lanes(interval: float) -> None:
    """Run every lane until SIGTERM/SIGINT; each lane finishes the task at hand: submits and the
    rest in threads here, the loops, polling and ingests in child processes (_child_keys)."""
    name = heartbeat_name()
    in_children = {args[0] for args in _child_keys().values()}
    workers, turns = _lane_workers(
        {q: n for q, n in lane_sizes().items() if q not in in_children}, interval, name
    )
    stopping = threading.Event()

    def spawn(key: str):
        return _spawn_lane(*_child_keys()[key], "--interval", str(interval))

    children = {key: spawn(key) for key in _child_keys()}

    def stop(signum, frame):
        log.warning("%s: finishing the tasks at hand, then stopping", signal.strsignal(signum))
        stopping.set()
        _stop_workers(workers, turns)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threads = _start_threads(workers, stopping)
    log.info(
        "worker %s serving lanes %s (child processes: %s)",
        name,
        lane_sizes(),
        ", ".join(_child_keys()),
    )
    while not stopping.is_set():
        for key, child in list(children.items()):
            if child.poll() is not None and not stopping.is_set():
                log.warning("lane %s exited (%s); restarting", key, child.returncode)
                children[key] = spawn(key)
        _beat_safely(name)
        alive = all(child.poll() is None for child in children.values())
        stopping.wait(HEARTBEAT_EVERY if alive else 1)
    for thread in threads:
        thread.join()
    for child in children.values():
        child.wait()  # stop() passed SIGTERM on once: a second one would cut its task short
    WorkerLoop.objects.filter(name=name).delete()


def _serve(worker, stopping: threading.Event) -> None:
    """One lane worker; an unexpected error (a database hiccup) restarts it, not the process."""
    try:
        while not stopping.is_set():
            try:
                worker.run()
            except Exception:
                log.exception("lane worker %s stopped unexpectedly; restarting", worker.worker_id)
                stopping.wait(1.0)
    finally:
        connection.close()


# --- RQ backend: one process per lane --------------------------------------------------------
def run_rq_lanes() -> None:
    """Start one `run_worker --lane QUEUE` process per queue and keep them running until
    SIGTERM/SIGINT, which is passed on (each finishes its job at hand)."""
    name = heartbeat_name()
    children: dict[str, subprocess.Popen] = {}
    stopping = threading.Event()

    def stop(signum, frame):
        stopping.set()
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping.is_set():
        for queue in [*settings.TASK_QUEUES, *_poll_keys()]:
            child = children.get(queue)
            if (child is None or child.poll() is not None) and not stopping.is_set():
                if child is not None:
                    log.warning("lane %s exited (%s); restarting", queue, child.returncode)
                children[queue] = _spawn_lane(queue.split(":")[0])
        _beat_safely(name)
        stopping.wait(HEARTBEAT_EVERY if all(c.poll() is None for c in children.values()) else 1)
    for child in children.values():
        child.wait()
    WorkerLoop.objects.filter(name=name).delete()


def _poll_keys() -> list[str]:
    """One name per poll process (settings.POLL_PROCESSES): poll, poll:2, ..."""
    return [POLL_LANE] + [f"{POLL_LANE}:{n}" for n in range(2, settings.POLL_PROCESSES + 1)]


def _spawn_lane(queue: str, *args: str) -> subprocess.Popen:
    """A lane process in a process group of its own: a SIGTERM to our group (Ctrl-C, dev.py,
    `kill -- -PID`) reaches it once, through us, so it stops gracefully instead of taking a
    second signal as "terminate the task at hand" (what django-tasks-db and RQ do)."""
    manage = os.path.join(settings.BASE_DIR, "manage.py")
    parent = os.getpid()
    return subprocess.Popen(
        [sys.executable, manage, "run_worker", "--lane", queue, *args],
        start_new_session=True,
        preexec_fn=(lambda: _die_with_parent(parent)) if sys.platform == "linux" else None,  # noqa: PLW1509
    )


def _die_with_parent(parent: int) -> None:
    """Linux: a lane process gets SIGTERM when its supervisor dies (even by SIGKILL)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def rq_lane_worker(queue: str) -> None:
    """RQ's worker and scheduler for one queue (see rq_worker.Worker)."""
    from django.core.management import call_command

    call_command(
        "rqworker",
        queue,
        with_scheduler=True,
        job_class="django_tasks_rq.Job",
        worker_class="gallery.generation.rq_worker.Worker",
    )
