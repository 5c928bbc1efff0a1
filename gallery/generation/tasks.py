"""Background tasks (Django Tasks API). Thin: each calls a step function in worker.py.

django-tasks-db neither retries a task nor recovers one from a killed worker, so generations carry
their own lease and schedule, and a self-rescheduling reconcile loop and the poll processes keep
things moving. Polling is not a task: every `run_worker` starts a poll process (poller.py) whose
claims are kept disjoint by the rows' leases. The reconcile loop is kept single by a token in
WorkerLoop; `ensure_loops()` restarts it when its worker died.

Lanes: submits, ingests and the loops go to queues of their own (settings.TASK_QUEUES), which
`run_worker` serves concurrently, so a submit hanging until its timeout never holds up a submit
or an ingest waiting behind it. A submit or ingest task is enqueued only through `enqueue_submit`/`enqueue_ingest`: one conditional UPDATE of `Generation.task_queued_for`
keeps the queue at one task per row and step.

Fair share (fairness.py): which rows get a submit or ingest task at all is decided by
`dispatch_submits`/`dispatch_ingests`, which keep only about a lane's worth of tasks waiting and
pick the rows round-robin across teams and members, under the per-team and per-member caps and
outside a team's rate-limit backoff. Each finished step tops its queue up, and so does each poll
process after every batch (that is how a capped or backed-off team's rows get going again).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from gallery.models import (
    QUEUED_TASK_LOST_AFTER,
    Generation,
    State,
    WorkerLoop,
    update_returning_ids,
)

from . import fairness, worker

STALE_AFTER = timedelta(seconds=60)


def start_generation(generation: Generation) -> None:
    """Send GENERATION to Zcheap in the background, once the creating transaction commits (in
    fair order: it gets a task now unless other rows are due before it)."""
    pending = getattr(transaction.get_connection(), "run_on_commit", [])
    if not any(entry[1] is dispatch_submits for entry in pending):  # a batch: one dispatch
        transaction.on_commit(dispatch_submits)


# One dispatch of each kind at a time per process: threads dispatching together picked the same
# rows and all but one lost the race for each (1,000 wasted UPDATEs a minute at 5,000 in flight).
# A thread that finds one running skips it: the running one sees what this one would.
_dispatching = {"submit": threading.Lock(), "ingest": threading.Lock()}


def dispatch_submits() -> int:
    """Enqueue submits for the rows fairness picks now; returns how many were enqueued."""
    return _dispatch(
        "submit",
        lambda: sum(enqueue_submit(pk, priority=p) for pk, p in fairness.submits_to_send()),
    )


def dispatch_ingests() -> int:
    """Enqueue ingests (downloads) for the finished rows fairness picks now, up to
    worker.INGEST_BATCH rows a task, in the picks' order; returns how many rows were enqueued."""
    return _dispatch(
        "ingest", lambda: _enqueue_ingests(fairness.ingests_to_send(batch=worker.INGEST_BATCH))
    )


_dispatch_again = {"submit": threading.Event(), "ingest": threading.Event()}


def _dispatch(kind: str, enqueue_picks) -> int:
    """Run ENQUEUE_PICKS (one dispatch of KIND: how many rows it enqueued); a thread that finds one running asks it to look once more when
    it is done (what finished meanwhile may have freed room it did not see), instead of
    skipping: skipped dispatches left the submit queue short, threads idle, for up to a second."""
    lock, again = _dispatching[kind], _dispatch_again[kind]
    total = 0
    while True:
        if not lock.acquire(blocking=False):
            again.set()
            # The running one may have just let go without seeing the flag: then run it here.
            if not lock.acquire(blocking=False):
                return total
        try:
            again.clear()
            total += enqueue_picks()
        finally:
            lock.release()
        if not again.is_set():
            return total


MARK_QUEUED = (
    "UPDATE {table} SET task_queued_for = %s WHERE id IN ({marks}) AND state = %s "
    "AND (task_queued_for IS NULL OR task_queued_for < %s) RETURNING id"
)


def _mark_many_queued(ids: list[int], state: str, when: datetime) -> set[int]:
    """`_mark_queued` for several rows in one UPDATE: the ids this caller may enqueue."""
    lost_before = timezone.now() - QUEUED_TASK_LOST_AFTER
    return update_returning_ids(MARK_QUEUED, [when], ids, [state, lost_before])


def _enqueue_ingests(picks: list[tuple[list[int], int]]) -> int:
    """An ingest task for each ([rows], priority) of PICKS, in order, each row marked queued
    first so no row gets two tasks; returns how many rows were enqueued."""
    enqueued = 0
    for rows, priority in picks:
        marked = _mark_many_queued(rows, State.DOWNLOADING, timezone.now())
        ids = [pk for pk in rows if pk in marked]
        if not ids:
            continue
        _enqueue(ingest_batch, ids, ids, None, priority)
        enqueued += len(ids)
    return enqueued


def _mark_queued(generation_id: int, state: str, when: datetime) -> bool:
    """Claim the right to enqueue the task for this row in STATE: True for exactly one caller."""
    return generation_id in _mark_many_queued([generation_id], state, when)


def _enqueue(task_, ids: list[int], arg, when: datetime | None, priority: int) -> None:
    """Enqueue TASK_(ARG) for the rows IDS, already marked queued; unmark them if that fails."""
    if when:
        task_ = task_.using(run_after=when)
    if priority and task_.get_backend().supports_priority:
        task_ = task_.using(priority=priority)
    try:
        task_.enqueue(arg)
    except Exception:
        Generation.objects.filter(pk__in=ids).update(task_queued_for=None)
        raise


def _enqueue_once(
    task_, generation_id: int, state: str, when: datetime | None, priority: int = 0
) -> bool:
    if not _mark_queued(generation_id, state, when or timezone.now()):
        return False
    _enqueue(task_, [generation_id], generation_id, when, priority)
    return True


def enqueue_submit(generation_id: int, when: datetime | None = None, priority: int = 0) -> bool:
    """Queue the submit of a queued generation unless its submit task is already queued."""
    return _enqueue_once(run_generation, generation_id, State.QUEUED, when, priority)


def enqueue_ingest(generation_id: int, priority: int = 0) -> bool:
    """Queue the download of a finished generation unless its ingest task is already queued."""
    return _enqueue_once(ingest_generation, generation_id, State.DOWNLOADING, None, priority)


def _task_started(generation_id: int) -> None:
    """The row's queued task is running: from now on a new one may be queued (the step's own
    lease keeps two runs apart)."""
    Generation.objects.filter(pk=generation_id).update(task_queued_for=None)


@task(queue_name="submit")
def run_generation(generation_id: int) -> str:
    outcome = worker.submit_one(generation_id)
    if outcome in ("deferred", "skipped"):
        # Not claimed (a claim says the task has started, in the same UPDATE): a new task may
        # be queued for the row later.
        _task_started(generation_id)
    if outcome == "retry":
        generation = Generation.objects.get(pk=generation_id)
        enqueue_submit(generation_id, generation.next_poll_at)
    elif outcome == "downloading":  # a synchronous reply: nothing to poll, store it now
        dispatch_ingests()
    dispatch_submits()  # the next row in fair order (also after "deferred": capped, backoff)
    _ensure_loops_now_and_then()
    return outcome


_loops_checked = [0.0]
LOOPS_CHECK_EVERY = 5.0  # seconds: a busy submit lane asked this once per submit


def _ensure_loops_now_and_then() -> None:
    now = time.monotonic()
    if now - _loops_checked[0] >= LOOPS_CHECK_EVERY:
        _loops_checked[0] = now
        ensure_loops()


@task(queue_name="ingest")
def ingest_generation(generation_id: int) -> bool:
    """One row's ingest (tasks queued before ingest_batch, and enqueue_ingest)."""
    # The claim in ingest_one says the queued task has started (one UPDATE, not two).
    done = worker.ingest_one(generation_id)
    dispatch_ingests()
    return done


@task(queue_name="ingest")
def ingest_batch(generation_ids: list[int]) -> int:
    """Several rows' ingest (worker.ingest_many); returns how many were stored."""
    done = worker.ingest_many(generation_ids)
    dispatch_ingests()
    return sum(done.values())


@task(queue_name="loops")
def reconcile_loop(token: str) -> dict:
    if not _claim_turn("reconcile", token):
        return {}
    report = worker.reconcile()
    _refresh_spend_when_due()
    if report.get("resubmit"):
        dispatch_submits()
    if report.get("reingest"):
        dispatch_ingests()
    _reschedule(
        "reconcile",
        token,
        reconcile_loop,
        timezone.now() + timedelta(seconds=settings.RECONCILE_SECONDS),
    )
    _sync_assets_when_due()
    _retry_webhooks()
    return {k: len(v) if isinstance(v, list) else v for k, v in report.items()}


def _refresh_spend_when_due() -> None:
    """Prices, balances and usage logs ride on the reconcile loop (every SPEND_REFRESH_SECONDS)."""
    from spend.tasks import refresh_when_due

    try:
        refresh_when_due()
    except Exception:  # the reconcile loop must go on
        logging.getLogger(__name__).exception("spend refresh could not be queued")


def _retry_webhooks() -> None:
    """Webhook deliveries a lost task or a killed worker left behind are queued again here, a
    bounded number per turn (WEBHOOK_RETRIES_PER_TURN); `retry_webhooks` does the same."""
    from notifications.delivery import requeue_stale

    try:
        requeue_stale(limit=settings.WEBHOOK_RETRIES_PER_TURN)
    except Exception:  # the reconcile loop must go on
        logging.getLogger(__name__).exception("webhook deliveries could not be queued again")


def _sync_assets_when_due() -> None:
    """The asset library's periodic sync rides on the reconcile loop (every ASSET_SYNC_SECONDS)."""
    if not settings.ASSET_SYNC_SECONDS:
        return
    now = timezone.now()
    loop, _ = WorkerLoop.objects.get_or_create(name="asset-sync", defaults={"run_at": now})
    due = loop.run_at is None or loop.run_at <= now
    if due and WorkerLoop.objects.filter(name="asset-sync", run_at=loop.run_at).update(
        run_at=now + timedelta(seconds=settings.ASSET_SYNC_SECONDS)
    ):
        from assets.tasks import sync_all_teams

        sync_all_teams.enqueue()


def _claim_turn(name: str, token: str) -> bool:
    """Only the loop holding the current token runs; mark it as running now."""
    return WorkerLoop.objects.filter(name=name, token=token).update(run_at=timezone.now()) == 1


def _finish(name: str, token: str) -> bool:
    """Mark loop NAME as not running (if TOKEN still holds it), so `ensure_loop` starts anew."""
    return WorkerLoop.objects.filter(name=name, token=token).update(token="", run_at=None) == 1


def _reschedule(name: str, token: str, loop_task, when: datetime) -> None:
    new = uuid.uuid4().hex
    if WorkerLoop.objects.filter(name=name, token=token).update(token=new, run_at=when) == 1:
        loop_task.using(run_after=when).enqueue(new)


def ensure_loop(name: str, loop_task, when: datetime, *, restart: bool = False) -> bool:
    """Start loop NAME at WHEN unless a live one is due earlier; True if one was enqueued.

    restart=True (a worker starting up) replaces the loop even if it looks alive: its task may
    have been claimed by a worker that was killed, and the backend never gives that back.
    """
    now = timezone.now()
    with transaction.atomic():
        loop, _ = WorkerLoop.objects.select_for_update().get_or_create(name=name)
        stale = restart or loop.run_at is None or loop.run_at < now - STALE_AFTER
        if not stale and loop.run_at <= when + timedelta(seconds=1):
            return False
        loop.token, loop.run_at = uuid.uuid4().hex, when
        loop.save()
        token = loop.token
    transaction.on_commit(lambda: loop_task.using(run_after=when).enqueue(token))
    return True


def ensure_loops(*, restart: bool = False) -> None:
    """Make sure the reconcile loop is scheduled (polling is every worker's poll process)."""
    soon = timezone.now() + (
        timedelta(seconds=1) if restart else timedelta(seconds=settings.RECONCILE_SECONDS)
    )
    ensure_loop("reconcile", reconcile_loop, soon, restart=restart)
