"""Worker steps: small functions that tests call directly (tasks.py only schedules them).

Every state change is a conditional UPDATE through Generation.transition(), so a step delivered
twice, or two workers racing on one row, cannot submit twice or ingest twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import logging
import random
import threading
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gallery.models import (
    CANCELLABLE_STATES,
    ActionCheck,
    Generation,
    Kind,
    MediaItem,
    MediaKind,
    State,
    no_task_queued,
    update_returning_ids,
)
from zcheap import errors as e

from . import downloads, fairness, media_processing, upstream
from .zcheap_team import async_client_for_team, client_for_team

log = logging.getLogger(__name__)

LATE_POLL_EVERY = timedelta(minutes=5)
MAX_SUBMIT_ATTEMPTS = 5
MAX_INGEST_ATTEMPTS = 5
IN_FLIGHT = [State.SUBMITTED, State.RUNNING]


def _now() -> datetime:
    return timezone.now()


def _lease() -> timedelta:
    return timedelta(seconds=settings.WORKER_LEASE_SECONDS)


def poll_delay(generation: Generation, now: datetime) -> timedelta:
    """About 2 s growing to 15 s (video: 3 s to 30 s), with jitter so polls do not bunch up."""
    started = generation.submitted_at or generation.created_at
    elapsed = (now - started).total_seconds()
    low, high = (3.0, 30.0) if generation.kind == Kind.VIDEO else (2.0, 15.0)
    return timedelta(seconds=min(high, max(low, elapsed * 0.25)) * random.uniform(0.8, 1.2))


def _fail(
    generation: Generation,
    from_states,
    error: Exception | None,
    message: str = "",
    code: str = "",
    upstream: str = "",
) -> bool:
    """Move GENERATION to FAILED with MESSAGE; UPSTREAM is the detail text when ERROR has none."""
    upstream_text = upstream
    if isinstance(error, e.ZcheapError):
        message = message or str(error.user_message)
        upstream_text = error.upstream_message
        code = code or type(error).__name__
    elif isinstance(error, downloads.DownloadError):
        message = message or str(error.user_message)
        upstream_text = error.detail
        code = code or "download"
    return generation.transition(
        from_states,
        State.FAILED,
        error_message=message,
        upstream_error=upstream_text,
        error_code=code[:60],
        lease_until=None,
        next_poll_at=None,
    )


# --- submit ----------------------------------------------------------------------------------
def submit_one(generation_id: int) -> str:
    """Send one queued generation to Zcheap, exactly once. Returns what happened (for tests)."""
    now = _now()
    claimed = fairness.claim_submit(
        generation_id,
        now,
        lambda unless_backoff=False: claim_queued(generation_id, now, unless_backoff),
    )
    if claimed in ("backoff", "capped"):
        return "deferred"  # stays queued; a later dispatch sends it (fairness.py)
    if claimed != "claimed":
        return "skipped"  # already submitted, cancelled, or another worker has it
    generation = Generation.objects.select_related("team", "parent").get(pk=generation_id)
    try:
        submission = upstream.build(generation)
    except upstream.BuildError as exc:
        _fail(generation, State.SUBMITTING, None, str(exc), "build")
        return "failed"
    try:
        with client_for_team(generation.team, max_retries=1) as client:
            result = submission.call(client)
    except e.AmbiguousSubmitError as exc:
        generation.transition(
            State.SUBMITTING,
            State.NEEDS_REVIEW,
            error_message=str(exc.user_message),
            upstream_error=exc.upstream_message,
            error_code="ambiguous_submit",
            lease_until=None,
        )
        return "needs_review"
    except (e.RateLimitedError, e.TransientError) as exc:
        if isinstance(exc, e.RateLimitedError):  # slow this team down, not everyone
            fairness.slow_down(generation.team_id, exc.retry_after, now)
        if generation.attempts >= MAX_SUBMIT_ATTEMPTS:
            _fail(generation, State.SUBMITTING, exc, _gave_up_message(exc))
            return "failed"
        wait = getattr(exc, "retry_after", None) or min(60, 2**generation.attempts)
        generation.transition(
            State.SUBMITTING,
            State.QUEUED,
            lease_until=None,
            next_poll_at=now + timedelta(seconds=wait),
            error_message=str(exc.user_message),
            upstream_error=exc.upstream_message,
        )
        return "retry"
    except e.ZcheapError as exc:
        _fail(generation, State.SUBMITTING, exc)
        return "failed"
    except Exception as exc:  # a bug after the request may have left: never resubmit blindly
        log.exception("submit of generation %s failed unexpectedly", generation_id)
        generation.transition(
            State.SUBMITTING,
            State.NEEDS_REVIEW,
            error_message=_("Sending the task failed unexpectedly."),
            upstream_error=repr(exc)[:500],
            error_code="unexpected",
            lease_until=None,
        )
        return "needs_review"
    return _record_submit(generation, result, now)


CLAIM_QUEUED = (
    "UPDATE {table} SET state = %s, lease_until = %s, attempts = attempts + 1, "
    "updated_at = %s, card_version = card_version + 1, task_queued_for = NULL "
    "WHERE id = %s AND state = %s AND (lease_until IS NULL OR lease_until < %s){unless}"
)
UNLESS_BACKOFF = (
    " AND NOT EXISTS (SELECT 1 FROM {throttle} t WHERE t.team_id = {table}.team_id "
    "AND t.backoff_until > %s)"
)


def claim_queued(generation_id: int, now: datetime, unless_backoff: bool = False) -> int:
    """Take a queued row for its submit: one conditional UPDATE (1 if taken). The card's badge
    changes (queued -> submitting); the claim also says the queued task has started (tasks.py).
    UNLESS_BACKOFF: not if the row's team is in a rate-limit backoff (fairness.claim_submit).
    Plain SQL: built with the ORM it was a third of a submit's CPU."""
    from django.db import connection

    from gallery.models import TeamThrottle

    adapt = connection.ops.adapt_datetimefield_value
    table = Generation._meta.db_table
    sql = CLAIM_QUEUED.format(
        table=table,
        unless=UNLESS_BACKOFF.format(throttle=TeamThrottle._meta.db_table, table=table)
        if unless_backoff
        else "",
    )
    params = [
        State.SUBMITTING,
        adapt(now + _lease()),
        adapt(now),
        generation_id,
        State.QUEUED,
        adapt(now),
    ]
    if unless_backoff:
        params.append(adapt(now))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _gave_up_message(error: e.ZcheapError) -> str:
    """The final word on a submit that kept being refused: the retry message ("will be tried
    again shortly") would be a false promise on a failed card."""
    if isinstance(error, e.RateLimitedError):
        return _(
            "Zcheap was too busy to take this task and refused it several times, so we stopped "
            "trying. Start it again later."
        )
    return _(
        "Zcheap could not be reached several times in a row, so we stopped trying. Start it "
        "again later."
    )


def _record_submit(generation: Generation, result, now: datetime) -> str:
    deadline = now + timedelta(seconds=settings.GENERATION_DEADLINES.get(generation.kind, 900))
    fields = dict(
        remote_id=getattr(result, "task_id", "") or "",
        submitted_at=now,
        lease_until=None,
        progress=5,
        deadline_at=deadline,
        late_until=now + timedelta(seconds=settings.GENERATION_LATE_WINDOW),
        error_message="",
        upstream_error="",
    )
    immediate = getattr(result, "immediate", None)
    if immediate is not None:  # synchronous image reply: nothing to poll
        generation.transition(
            State.SUBMITTING,
            State.DOWNLOADING,
            result_urls=list(immediate.urls),
            progress=99,
            attempts=0,
            **fields,
        )
        return "downloading"
    generation.transition(
        State.SUBMITTING, State.SUBMITTED, next_poll_at=now + poll_delay(generation, now), **fields
    )
    return "submitted"


# --- poll ------------------------------------------------------------------------------------
def _due(now: datetime) -> Q:
    return Q(state__in=IN_FLIGHT) | Q(state=State.TIMED_OUT, late_until__gt=now)


def claim_due(now: datetime, limit: int) -> list[Generation]:
    """Lease up to LIMIT generations whose next poll is due; the lease time doubles as our token."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    ids = list(
        Generation.objects.filter(_due(now), free, next_poll_at__lte=now)
        .exclude(team_id__in=fairness.throttled_team_ids(now))  # rate-limited teams wait
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return []
    return lease_due(ids, now)


def lease_due(ids: list[int], now: datetime) -> list[Generation]:
    """Lease those of IDS that are still due and free, and return them.

    The conditions are checked again in the UPDATE: between choosing IDS and leasing them,
    another poller may have polled a row, seen it finished and freed it (a SQLite writer can
    wait that long for the lock); without the check it was leased and polled again after
    "succeeded" (bench_lanes counted 2-6 such polls in SQLite runs)."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    lease = now + _lease() + timedelta(microseconds=random.randint(1, 999_999))
    Generation.objects.filter(_due(now), free, next_poll_at__lte=now, pk__in=ids).update(
        lease_until=lease
    )
    return list(Generation.objects.filter(pk__in=ids, lease_until=lease).select_related("team"))


async def _fetch_team(team, generations: list[Generation], client=None) -> dict[int, object]:
    """Poll one team's generations concurrently; MJ ones in batches of 50 (list-by-condition).

    CLIENT: a long-lived client for this team (the poller's); without one, a client is made for
    this call and closed after it."""
    if client is not None:
        return await _fetch_with(client, generations)
    try:
        client_cm = async_client_for_team(
            team, max_retries=0, max_concurrency=settings.POLL_CONCURRENCY
        )
    except e.ZcheapError as exc:  # e.g. the key was removed with demo mode off: try later
        return {generation.pk: exc for generation in generations}
    async with client_cm as client:
        return await _fetch_with(client, generations)


async def _fetch_with(client, generations: list[Generation]) -> dict[int, object]:
    results: dict[int, object] = {}

    async def single(generation: Generation) -> None:
        try:
            fetch = client.get_image if generation.kind == Kind.IMAGE else client.get_video
            results[generation.pk] = await fetch(generation.remote_id)
        except e.ZcheapError as exc:
            results[generation.pk] = exc

    async def mj_batch(batch: list[Generation]) -> None:
        try:
            tasks = {t.task_id: t for t in await client.mj_fetch_many([g.remote_id for g in batch])}
        except e.ZcheapError as exc:
            for generation in batch:
                results[generation.pk] = exc
            return
        for generation in batch:
            results[generation.pk] = tasks.get(generation.remote_id) or e.NotFoundError(
                "task_no_found", status_code=400, code="4"
            )

    mj = [g for g in generations if g.kind == Kind.MIDJOURNEY]
    others = [g for g in generations if g.kind != Kind.MIDJOURNEY]
    await asyncio.gather(
        *(single(g) for g in others), *(mj_batch(mj[i : i + 50]) for i in range(0, len(mj), 50))
    )
    return results


def _summarise(generation: Generation, task) -> tuple[str, int, list[str], str, dict]:
    """(waiting|running|success|failure, progress, result urls, failure text, usage)."""
    if generation.kind == Kind.IMAGE:
        phase = {
            "queued": "waiting",
            "processing": "running",
            "succeeded": "success",
            "failed": "failure",
        }[task.status]
        return (
            phase,
            50 if phase == "running" else 5,
            list(task.urls),
            task.error_message,
            task.usage,
        )
    if generation.kind == Kind.VIDEO:
        phase = {
            "queued": "waiting",
            "in_progress": "running",
            "completed": "success",
            "failed": "failure",
        }[task.status]
        return phase, task.progress, [task.url] if task.url else [], task.error_message, task.usage
    if task.succeeded:
        return "success", 100, list(task.urls), "", {}
    if task.failed:
        return "failure", 100, [], task.fail_reason, {}
    return ("running" if task.progress else "waiting"), task.progress, [], "", {}


def apply_poll(generation: Generation, result, now: datetime) -> str:
    """Write one poll result; returns the new phase (for tests and counters)."""
    active_states = [*IN_FLIGHT, State.TIMED_OUT]
    if isinstance(result, e.NotFoundError):
        _fail(generation, active_states, result, _("Zcheap no longer knows this task."))
        return "failed"
    if isinstance(result, e.ZcheapError):  # transient or rate limited: try again later
        wait = getattr(result, "retry_after", None)
        later = now + (timedelta(seconds=wait) if wait else poll_delay(generation, now))
        Generation.objects.filter(pk=generation.pk).update(next_poll_at=later, lease_until=None)
        return "error"
    phase, progress, urls, failure, usage = _summarise(generation, result)
    if phase == "success":
        generation.transition(
            active_states,
            State.DOWNLOADING,
            result_urls=urls,
            amount_usd=_amount(result) or generation.amount_usd,
            action_check=_prompt_check(generation, result),
            usage=usage or generation.usage,
            error_message="",  # a late result: the "taking much longer" warning is over
            upstream_error="",
            progress=99,
            lease_until=None,
            next_poll_at=None,
            attempts=0,
            remote_status=getattr(result, "status", "")[:30],
        )
        return "success"
    if phase == "failure":
        message = _("Zcheap could not finish this task.")
        generation.transition(
            active_states,
            State.FAILED,
            error_message=message,
            amount_usd=_amount(result) or generation.amount_usd,
            upstream_error=failure,
            error_code="upstream_failed",
            lease_until=None,
            next_poll_at=None,
        )
        return "failed"
    if generation.state == State.TIMED_OUT:  # still running after the deadline: look again later
        Generation.objects.filter(pk=generation.pk).update(
            next_poll_at=now + LATE_POLL_EVERY, lease_until=None
        )
        return "late"
    if generation.deadline_at and now > generation.deadline_at:
        generation.transition(
            IN_FLIGHT,
            State.TIMED_OUT,
            lease_until=None,
            next_poll_at=now + LATE_POLL_EVERY,
            error_message=_(
                "Zcheap is taking much longer than usual. We keep checking for 24 hours and "
                "the result will appear here if it arrives."
            ),
        )
        return "timed_out"
    new_state = State.RUNNING if phase == "running" else generation.state
    generation.transition(
        IN_FLIGHT,
        new_state,
        progress=max(generation.progress, min(progress, 98)),
        next_poll_at=now + poll_delay(generation, now),
        lease_until=None,
        remote_status=str(getattr(result, "status", ""))[:30],
        finished_at=None,
    )
    return phase


def _amount(result) -> Decimal | None:
    """`amount_usd` from a task reply (contract §0), when Zcheap sent one."""
    value = getattr(result, "amount_usd", None)
    try:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        return None


def _prompt_check(generation: Generation, result) -> str:
    """A remix or vary region whose reported final prompt lacks the new prompt: not applied.

    Only when Zcheap reports a final prompt at all (properties.finalPrompt); otherwise unknown.
    """
    asked = ((generation.params or {}).get("remix_prompt") or "").strip()
    final = (getattr(result, "final_prompt", "") or "").strip()
    if generation.kind != Kind.MIDJOURNEY or not asked or not final:
        return generation.action_check
    if asked.lower() in final.lower():
        return ActionCheck.APPLIED
    log.warning("MJ %s %s: the new prompt was not used", generation.action, generation.pk)
    return ActionCheck.PROMPT_IGNORED


def run_async(coroutine):
    """asyncio.run, also from a thread that already runs an event loop (then in a helper thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def poll_once(now: datetime | None = None, limit: int | None = None) -> int:
    """Claim one batch of due generations, poll them concurrently, write the results."""
    now = now or _now()
    batch = claim_due(now, limit or settings.POLL_BATCH_SIZE)
    if not batch:
        return 0
    by_team = defaultdict(list)
    for generation in batch:
        by_team[generation.team_id].append(generation)

    async def fetch_all():
        found = await asyncio.gather(
            *(_fetch_team(gens[0].team, gens) for gens in by_team.values())
        )
        return {k: v for part in found for k, v in part.items()}

    results = run_async(fetch_all())
    apply_polls(batch, results, _now())
    return len(batch)


def apply_polls(batch: list[Generation], results: dict, now: datetime) -> dict[int, str]:
    """Write a batch of poll results; returns each row's phase (see apply_poll).

    Most polls say "still working": nothing new, or a new progress or state (queued ->
    running). Those rows are written in one UPDATE per (state before, state after, progress,
    upstream status) for the whole batch, each row with its own next poll time, instead of one
    UPDATE per row: one per row was most of the poll process's database time and capped polling
    at 5,000 tasks in flight (issue 18). Anything else (a result, a failure, an error, a
    deadline) goes through apply_poll."""
    _slow_down_limited_teams(batch, results, now)
    outcomes: dict[int, str] = {}
    quiet: dict[tuple, dict[int, datetime]] = defaultdict(dict)
    for generation in batch:
        result = results.get(generation.pk, e.TransientError("no result"))
        step = _still_working(generation, result, now)
        if step is None:
            outcomes[generation.pk] = apply_poll(generation, result, now)
        else:
            phase, new_state, progress, status = step
            key = (generation.state, new_state, progress, status)
            quiet[key][generation.pk] = now + poll_delay(generation, now)
            outcomes[generation.pk] = phase
    for (state, new_state, progress, status), due in quiet.items():
        _write_still_working(state, new_state, progress, status, due, now)
    return outcomes


STILL_WORKING = (
    "UPDATE {table} SET "
    "card_version = CASE WHEN state = %s AND progress = %s THEN card_version "
    "ELSE card_version + 1 END, "
    "state = %s, progress = %s, remote_status = %s, finished_at = NULL, lease_until = NULL, "
    "updated_at = %s, next_poll_at = CASE id {whens} END "
    "WHERE id IN ({marks}) AND state = %s"
)


def _write_still_working(
    state: str, new_state: str, progress: int, status: str, due: dict[int, datetime], now
) -> None:
    """One UPDATE for rows polled in STATE that are still working: NEW_STATE, PROGRESS and
    STATUS for all, each its own next poll time (DUE). The card version moves only where the
    state or progress a card shows changes (compared with the row's own values, in the same
    UPDATE). Plain SQL: the ORM's Case/When for 200 rows cost more CPU than the poll's HTTP."""
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    sql = STILL_WORKING.format(
        table=Generation._meta.db_table,
        whens=" ".join(["WHEN %s THEN %s"] * len(due)),
        marks=", ".join(["%s"] * len(due)),
    )
    params: list = [new_state, progress, new_state, progress, status, adapt(now)]
    for pk, when in due.items():
        params += [pk, adapt(when)]
    params += [*due, state]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _slow_down_limited_teams(batch: list[Generation], results: dict, now: datetime) -> None:
    """A 429 on a poll slows that team's polls and submits (fairness.py), once per team."""
    limited: dict[int, float | None] = {}
    for generation in batch:
        result = results.get(generation.pk)
        if isinstance(result, e.RateLimitedError):
            wait = result.retry_after
            limited[generation.team_id] = max(wait or 0, limited.get(generation.team_id) or 0)
    for team_id, wait in limited.items():
        fairness.slow_down(team_id, wait or None, now)


def _still_working(generation: Generation, result, now: datetime) -> tuple | None:
    """For a poll that says "still working" and needs nothing but new values (no deadline
    passed, no result, no error): (phase, new state, progress, upstream status); else None."""
    if isinstance(result, e.ZcheapError) or generation.state not in IN_FLIGHT:
        return None
    if generation.deadline_at and now > generation.deadline_at:
        return None
    phase, progress, _urls, _failure, _usage = _summarise(generation, result)
    if phase not in ("waiting", "running"):
        return None
    new_state = State.RUNNING if phase == "running" else generation.state
    return (
        phase,
        new_state,
        max(generation.progress, min(progress, 98)),
        str(getattr(result, "status", ""))[:30],
    )


def ready_for_ingest() -> list[int]:
    """Finished rows no worker holds and whose ingest task is not already waiting in the queue."""
    now = _now()
    return list(
        Generation.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            no_task_queued(now),
            state=State.DOWNLOADING,
        ).values_list("pk", flat=True)[:200]
    )


# --- ingest ----------------------------------------------------------------------------------
# An ingest task stores up to INGEST_BATCH results: they are claimed in one UPDATE and read in one
# query, downloaded and thumbnailed side by side (threads; no database there), then written one by
# one. The queue's own bookkeeping (claim, result, enqueue) is paid once per task, not per result:
# one result a task was 16 statements and ~30 ms of CPU per result, mostly building SQL.
INGEST_BATCH = 4

CLAIM_FOR_INGEST = (
    "UPDATE {table} SET lease_until = %s, attempts = attempts + 1, task_queued_for = NULL "
    "WHERE id IN ({marks}) AND state = %s AND (lease_until IS NULL OR lease_until < %s) "
    "RETURNING id"
)


def claim_for_ingest(ids: list[int], now: datetime) -> set[int]:
    """Lease those of IDS that are finished upstream and that no worker holds; the ids leased.

    One conditional UPDATE (plain SQL, for its RETURNING): two workers given the same row cannot
    both get it. The claim also says the queued task has started (task_queued_for), so a new one
    may be queued later."""
    return update_returning_ids(CLAIM_FOR_INGEST, [now + _lease()], ids, [State.DOWNLOADING, now])


def ingest_one(generation_id: int) -> bool:
    """Download every result of a finished generation into our storage, once. True when done."""
    return ingest_many([generation_id])[generation_id]


def ingest_many(generation_ids: list[int]) -> dict[int, bool]:
    """Store the results of these finished generations, each once: {id: True when done}."""
    now = _now()
    claimed = claim_for_ingest(generation_ids, now)
    outcome = dict.fromkeys(generation_ids, False)
    lost = [pk for pk in generation_ids if pk not in claimed]
    if lost:
        # Not ours now (another worker holds it, or it is no longer downloading): the queued
        # task that brought us here has run, so another may be queued later.
        Generation.objects.filter(pk__in=lost).update(task_queued_for=None)
    if not claimed:
        return outcome
    generations = list(
        Generation.objects.select_related("team").filter(pk__in=claimed).order_by("pk")
    )
    work = []
    for generation in generations:
        if generation.attempts > MAX_INGEST_ATTEMPTS:
            # Earlier tries ended without a word (a worker killed while decoding, say): stop.
            _fail(
                generation,
                State.DOWNLOADING,
                None,
                _("The result could not be stored after several tries, so we stopped trying."),
                "ingest_attempts",
            )
        else:
            work.append(generation)
    stored = _stored_indexes([g for g in work if g.attempts > 1])  # only a retry can have any
    fetched = _fetch_all(work, stored)
    for generation in work:
        outcome[generation.pk] = _finish_ingest(generation, fetched[generation.pk])
    return outcome


def _stored_indexes(generations: list[Generation]) -> dict[int, set[int]]:
    """{generation id: result indexes already stored}, in one query (for retries only)."""
    stored: dict[int, set[int]] = defaultdict(set)
    if generations:
        rows = MediaItem.objects.filter(generation__in=generations).values_list(
            "generation_id", "index"
        )
        for generation_id, index in rows:
            stored[generation_id].add(index)
    return stored


_download_pool: concurrent.futures.ThreadPoolExecutor | None = None


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _download_pool
    if _download_pool is None:
        _download_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(2, settings.INGEST_CONCURRENCY * INGEST_BATCH),
            thread_name_prefix="ingest-fetch",
        )
    return _download_pool


def _fetch_all(generations: list[Generation], stored: dict[int, set[int]]) -> dict[int, tuple]:
    """{id: (items ready to insert, error or None)} for GENERATIONS, fetched side by side."""
    if len(generations) <= 1:
        return {g.pk: _fetch_results(g, stored.get(g.pk, set())) for g in generations}
    futures = {
        g.pk: _pool().submit(_fetch_in_thread, g, stored.get(g.pk, set())) for g in generations
    }
    return {pk: future.result() for pk, future in futures.items()}


_fetch_slots: threading.BoundedSemaphore | None = None


def _fetch_slot() -> threading.BoundedSemaphore:
    """At most INGEST_CONCURRENCY results downloaded and decoded at once in a process, however
    they are batched: what bounds the memory a worker needs (a 500 MB video, an 80-megapixel
    image decoded for its thumbnails)."""
    global _fetch_slots
    if _fetch_slots is None:
        _fetch_slots = threading.BoundedSemaphore(max(1, settings.INGEST_CONCURRENCY))
    return _fetch_slots


def _fetch_in_thread(generation: Generation, stored: set[int]) -> tuple:
    from django.db import connections

    try:
        return _fetch_results(generation, stored)
    finally:
        connections.close_all()  # nothing here should use the database; if it did, let go


def _fetch_results(generation: Generation, stored: set[int]) -> tuple:
    """Download and process the results of GENERATION not yet stored, saving their files: the
    MediaItems to insert (unsaved) and the error that stopped it, if any. No database."""
    allowed = downloads.allowed_for_base_url(
        "" if generation.team.demo_mode else generation.team.effective_base_url
    )
    split = is_single_url_grid(generation)
    items: list[MediaItem] = []
    try:
        with _fetch_slot():
            _fetch_each(generation, stored, allowed, split, items)
    except Exception as exc:  # noqa: BLE001 - handled by _finish_ingest, in the task's thread
        log.debug("ingest of generation %s stopped", generation.pk, exc_info=True)
        return items, exc
    return items, None


def _fetch_each(generation, stored, allowed, split, items: list[MediaItem]) -> None:
    for index, url in enumerate(generation.result_urls):
        wanted = range(4) if split else [index]
        if stored >= set(wanted):
            continue  # ingest is idempotent: one file per result, ever
        if split:
            items += _ingest_grid(generation, url, allowed, stored)
        else:
            items.append(_ingest_file(generation, index, url, allowed))


def _finish_ingest(generation: Generation, fetched: tuple) -> bool:
    """Insert what was fetched for GENERATION, then move it on: done, retry later, or failed."""
    items, error = fetched
    for item in items:
        _insert_item(item)
    if isinstance(error, downloads.DownloadError):
        if error.permanent or generation.attempts >= MAX_INGEST_ATTEMPTS:
            _fail(generation, State.DOWNLOADING, error)
            return False
        _retry_ingest_later(generation)
        return False
    if isinstance(error, media_processing.MediaError):
        _fail(
            generation,
            State.DOWNLOADING,
            None,
            _("The result file is damaged and could not be kept."),
            "media",
        )
        log.warning("generation %s result unreadable: %s", generation.pk, error)
        return False
    if error is not None:  # storage down, a bug: retry a few times, then a final state
        log.error("ingest of generation %s failed", generation.pk, exc_info=error)
        if generation.attempts >= MAX_INGEST_ATTEMPTS:
            _fail(
                generation,
                State.DOWNLOADING,
                None,
                _("The result could not be stored after several tries, so we stopped trying."),
                "ingest",
                upstream=repr(error)[:500],
            )
            return False
        _retry_ingest_later(generation)
        return False
    return generation.transition(
        State.DOWNLOADING,
        State.DONE,
        progress=100,
        lease_until=None,
        action_check=_result_check(generation),
    )


def is_single_url_grid(generation: Generation) -> bool:
    """An MJ grid action that came back as one URL: the 2x2 grid as one picture (contract §0)."""
    return (
        generation.kind == Kind.MIDJOURNEY
        and generation.action != "upscale"
        and len(generation.result_urls) == 1
    )


def split_grid(content: bytes) -> list[bytes]:
    """The four pictures of a 2x2 MJ grid, in button order (top left, top right, bottom left,
    bottom right), as PNG."""
    image = media_processing._open(content)
    try:
        image.load()
    except Exception as exc:  # a hostile file (e.g. a huge text chunk): damaged, not a bug
        raise media_processing.MediaError(f"grid not decodable: {type(exc).__name__}") from None
    width, height = image.size
    half_w, half_h = width // 2, height // 2
    boxes = [
        (0, 0, half_w, half_h),
        (half_w, 0, half_w * 2, half_h),
        (0, half_h, half_w, half_h * 2),
        (half_w, half_h, half_w * 2, half_h * 2),
    ]
    parts = []
    for box in boxes:
        out = io.BytesIO()
        image.crop(box).save(out, format="PNG")
        parts.append(out.getvalue())
    return parts


def _ingest_grid(
    generation: Generation, url: str, allowed: frozenset[str], stored: set[int]
) -> list[MediaItem]:
    got = downloads.download(
        url, max_bytes=settings.DOWNLOAD_MAX_IMAGE_BYTES, allowed_hosts=allowed
    )
    items = []
    for index, part in enumerate(split_grid(got.content)):
        if index not in stored:
            piece = downloads.Downloaded(
                content=part, content_type="image/png", extension="png", url=url
            )
            items.append(_prepare_item(generation, index, url, piece))
    return items


def _result_check(generation: Generation) -> str:
    """Check what can be checked in the result: an upscale is one picture; a pan changes the
    canvas shape along the axis asked for. Counted in the admin (Generation.action_check)."""
    check = generation.action_check
    if generation.kind != Kind.MIDJOURNEY or check == ActionCheck.PROMPT_IGNORED:
        return check
    if generation.action == "upscale":
        check = ActionCheck.UPSCALE_GRID if len(generation.result_urls) > 1 else check
    elif generation.action == "pan" and generation.parent_id:
        check = _pan_check(generation) or check
    if check not in ("", ActionCheck.APPLIED):
        log.warning("MJ %s %s was not applied: %s", generation.action, generation.pk, check)
    return check


def _pan_check(generation: Generation) -> str:
    source = MediaItem.objects.filter(
        generation_id=generation.parent_id, index=(generation.parent_index or 1) - 1
    ).first()
    result = MediaItem.objects.filter(generation=generation).order_by("index").first()
    if not (source and result and source.width and source.height and result.width):
        return ""
    before, after = source.width / source.height, result.width / result.height
    horizontal = (generation.params or {}).get("direction") in {"left", "right"}
    applied = after > before * 1.05 if horizontal else after < before / 1.05
    return ActionCheck.APPLIED if applied else ActionCheck.PAN_IGNORED


def _retry_ingest_later(generation: Generation) -> None:
    Generation.objects.filter(pk=generation.pk).update(lease_until=_now() + timedelta(seconds=15))


def _ingest_file(
    generation: Generation, index: int, url: str, allowed: frozenset[str]
) -> MediaItem:
    is_video = generation.kind == Kind.VIDEO
    cap = settings.DOWNLOAD_MAX_VIDEO_BYTES if is_video else settings.DOWNLOAD_MAX_IMAGE_BYTES
    got = _download_via_api(generation, url, cap) or downloads.download(
        url, max_bytes=cap, allowed_hosts=allowed
    )
    return _prepare_item(generation, index, url, got)


def _prepare_item(
    generation: Generation, index: int, url: str, got: downloads.Downloaded
) -> MediaItem:
    """The MediaItem for one result, its files (original, thumbnails, poster) saved, the row not
    yet inserted (_insert_item)."""
    item = MediaItem(
        team=generation.team,
        generation=generation,
        user_id=generation.user_id,
        kind=generation.kind,
        model=generation.model,
        prompt=generation.prompt,
        index=index,
        source_url=url[:2000],
        content_type=got.content_type,
        size_bytes=len(got.content),
        sha256=hashlib.sha256(got.content).hexdigest(),
    )
    stem = f"{generation.kind}-{generation.pk}-{index + 1}"
    if got.content_type.startswith("video/"):
        info = media_processing.process_video(got.content)
        item.media_kind, item.duration = MediaKind.VIDEO, info.duration
        item.poster.save(f"{stem}-poster.webp", ContentFile(info.poster), save=False)
    else:
        info = media_processing.process_image(got.content)
        item.media_kind = MediaKind.IMAGE
    item.width, item.height = info.width, info.height
    item.file.save(f"{stem}.{got.extension}", ContentFile(got.content), save=False)
    for field_name, data in info.thumbs.items():
        getattr(item, field_name).save(f"{stem}-{field_name}.webp", ContentFile(data), save=False)
    return item


def _insert_item(item: MediaItem) -> None:
    """One INSERT (in a savepoint only inside a transaction, where a failed INSERT would spoil
    the rest of it)."""
    from django.db import connection

    item.created_at = _now()
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                item.save()
        else:
            item.save()
    except IntegrityError:  # another worker stored it first: drop our copies
        for field_name in ("file", "thumbnail", "thumbnail_small", "poster"):
            stored = getattr(item, field_name)
            if stored:
                stored.storage.delete(stored.name)


def _download_via_api(generation: Generation, url: str, cap: int) -> downloads.Downloaded | None:
    """Zcheap may hand out its own /v1/videos/<id>/content URL, which needs our key: use the client."""
    if generation.team.demo_mode or not url.startswith(
        generation.team.effective_base_url.rstrip("/") + "/"
    ):
        return None
    if not (urlsplit(url).path.startswith("/v1/videos/") and url.endswith("/content")):
        return None
    try:
        with client_for_team(generation.team) as client:
            content = client.get_video_content(generation.remote_id)
    except e.ZcheapError as exc:
        raise downloads.DownloadError(
            exc.user_message, permanent=not exc.retryable, detail=exc.upstream_message
        ) from None
    kind = downloads.sniff(content[:16])
    if kind is None or len(content) > cap:
        raise downloads.DownloadError(
            _("The result is not an image or video we can keep."), permanent=True
        )
    return downloads.Downloaded(content=content, content_type=kind[0], extension=kind[1], url=url)


# --- reconcile -------------------------------------------------------------------------------
def reconcile(now: datetime | None = None) -> dict:
    """Find work a dead worker left behind; return what to re-enqueue (tasks.py does that)."""
    now = now or _now()
    expired = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    resubmit = list(
        Generation.objects.filter(expired, state=State.QUEUED)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .filter(updated_at__lt=now - timedelta(seconds=20))
        .values_list("pk", flat=True)[:500]
    )
    # A worker that died while sending: the request may have reached Zcheap. Never resend.
    lost_submits = list(Generation.objects.filter(state=State.SUBMITTING, lease_until__lt=now))
    for generation in lost_submits:
        generation.transition(
            State.SUBMITTING,
            State.NEEDS_REVIEW,
            lease_until=None,
            error_code="worker_lost",
            error_message=_(
                "The worker stopped while sending this task, so we cannot tell whether Zcheap "
                "received it. It was not sent again. Check your Zcheap task list, then retry."
            ),
        )
    reingest = list(
        Generation.objects.filter(expired, state=State.DOWNLOADING).values_list("pk", flat=True)[
            :500
        ]
    )
    active = Generation.objects.filter(_due(now)).exists()
    return {
        "resubmit": resubmit,
        "reingest": reingest,
        "needs_review": [g.pk for g in lost_submits],
        "active": active,
    }


def cancel(generation: Generation) -> bool:
    """Stop tracking: nothing is resubmitted or polled; a submitted task may still be billed.
    A retry notice ("will be tried again shortly") or the late warning is dropped: neither is
    true of a cancelled task. A needs-review explanation stays."""
    if generation.transition(
        list(CANCELLABLE_STATES),
        State.CANCELLED,
        lease_until=None,
        next_poll_at=None,
        error_message="",
        upstream_error="",
    ):
        return True
    return generation.transition(
        State.NEEDS_REVIEW, State.CANCELLED, lease_until=None, next_poll_at=None
    )
