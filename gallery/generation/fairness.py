"""Fair share between teams and members (issue 18), and per-team backoff on rate limits.

The queue backends claim tasks in queue order (django-tasks-db: priority, then when due, then
when enqueued; RQ: first in, first out), so whoever enqueues most would be served first: one
member's 300-task batch would sit between a colleague's single image and the worker. Rather than
fight the queue, we decide *which rows get a task at all*:

- **Dispatch, not enqueue-everything.** `tasks.dispatch_submits()` / `tasks.dispatch_ingests()`
  keep only about as many submit (ingest) tasks waiting in the queue as there are workers to run
  them (`queue_depth`), and choose the rows to enqueue in fair order (`fair_order`). Every
  finished submit or ingest tops the queue up again, and every poll process does after each batch it writes, so
  a colleague's new task waits behind at most one queue's depth of somebody else's, never behind
  the whole batch. The queue's order no longer matters, so this works the same on both backends.
- **Fair order**: round-robin across teams, and within a team across members: the next task is
  the oldest one of the member with the fewest requests in flight, in the team with the fewest
  requests in flight (ties: whoever has waited longest). Two members who both have a backlog
  therefore alternate; a member with nothing in flight goes first.
- **Caps**: at most `FAIR_TEAM_MAX_IN_FLIGHT` requests in flight per team and
  `FAIR_MEMBER_MAX_IN_FLIGHT` per member (0: no cap). In flight = being sent, sent, or running at
  Zcheap. Dispatch skips capped teams and members; the submit claim re-checks under the team's
  `TeamThrottle` row lock (`claim_submit`), so the caps hold exactly even with many workers.
  A capped row simply stays queued; the poll process dispatches it when a slot frees.
- **Polls** stay in due order (`worker.claim_due`): each task is checked when its next poll is
  due, so under load every task waits the same; a batch's tasks are not checked ahead of a
  colleague's that is due earlier. Only the backoff below applies to them.
- **Backoff**: a 429 or a `Retry-After` on a submit or a poll sets the team's
  `TeamThrottle.backoff_until` (the database: every worker process sees it). Dispatch, the
  submit claim and the poll claim skip that team until then; other teams are not slowed.

The functions that decide are pure (`fair_order`, `backoff_seconds`) and unit-tested; the rest
are small queries.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.utils import timezone

from gallery.models import (
    QUEUED_TASK_LOST_AFTER,
    Generation,
    State,
    TeamThrottle,
    WorkerLoop,
    no_task_queued,
)

from .lanes import HEARTBEAT_PREFIX

IN_FLIGHT_STATES = (State.SUBMITTING, State.SUBMITTED, State.RUNNING)
MAX_BACKOFF_SECONDS = 300.0
STRIKES_FORGOTTEN_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Candidate:
    """A row that could get a task: its id, who it belongs to, and how long it has waited."""

    pk: int
    team_id: int
    user_id: int | None
    created_at: datetime


# --- pure decisions ---------------------------------------------------------------------------
def fair_order(
    candidates: Iterable[Candidate],
    team_load: dict[int, int],
    member_load: dict[tuple[int, int | None], int],
    count: int,
    team_cap: int = 0,
    member_cap: int = 0,
) -> list[Candidate]:
    """Up to COUNT candidates in the order they should be served (see `fair_picks`)."""
    return [pick for pick, _load in fair_picks(**locals())]


def queue_priority(member_load: int) -> int:
    """The task priority of a pick whose member had MEMBER_LOAD requests in flight or queued:
    0 for a member with nothing going, lower the more they have. Tasks already waiting in the
    queue came from earlier dispatches; with this, a colleague's first task still goes before
    them (django-tasks-db runs higher priorities first; RQ has no priorities, and there the
    short queue alone bounds the wait)."""
    return -min(100, max(0, member_load))


def fair_picks(
    candidates: Iterable[Candidate],
    team_load: dict[int, int],
    member_load: dict[tuple[int, int | None], int],
    count: int,
    team_cap: int = 0,
    member_cap: int = 0,
) -> list[tuple[Candidate, int]]:
    """Up to COUNT (candidate, its member's load before the pick), in the order to serve them.

    Each pick takes the oldest candidate of the member with the fewest requests in flight
    (MEMBER_LOAD, keyed by (team, user)) inside the team with the fewest (TEAM_LOAD); ties go to
    whoever has waited longest. A pick counts as one more in flight, so members with backlogs
    alternate. Teams at TEAM_CAP and members at MEMBER_CAP (0: none) get nothing.
    """
    queues: dict[tuple[int, int | None], deque[Candidate]] = defaultdict(deque)
    for candidate in sorted(candidates, key=lambda c: (c.created_at, c.pk)):
        queues[(candidate.team_id, candidate.user_id)].append(candidate)
    teams, members = Counter(team_load), Counter(member_load)
    picked: list[tuple[Candidate, int]] = []
    while len(picked) < count:
        best_rank, best_key = None, None
        for key, waiting in queues.items():
            if not waiting:
                continue
            team = key[0]
            if (team_cap and teams[team] >= team_cap) or (
                member_cap and members[key] >= member_cap
            ):
                continue
            rank = (teams[team], members[key], waiting[0].created_at, waiting[0].pk)
            if best_rank is None or rank < best_rank:
                best_rank, best_key = rank, key
        if best_key is None:
            break
        picked.append((queues[best_key].popleft(), members[best_key]))
        teams[best_key[0]] += 1
        members[best_key] += 1
    return picked


def backoff_seconds(retry_after: float | None, strikes: int) -> float:
    """How long a team waits after its STRIKES-th rate limit in a row: Zcheap's Retry-After when
    it sent one, else 2, 4, 8 … seconds; never more than MAX_BACKOFF_SECONDS."""
    if retry_after is not None and retry_after > 0:
        return min(float(retry_after), MAX_BACKOFF_SECONDS)
    return min(2.0 ** max(1, strikes), 60.0)


def caps() -> tuple[int, int]:
    """(per team, per member) caps on requests in flight; 0 means no cap."""
    return max(0, settings.FAIR_TEAM_MAX_IN_FLIGHT), max(0, settings.FAIR_MEMBER_MAX_IN_FLIGHT)


# --- per-team backoff -------------------------------------------------------------------------
def slow_down(team_id: int, retry_after: float | None = None, now: datetime | None = None):
    """Zcheap rate-limited TEAM_ID: hold its submits and polls back. Returns the new deadline.

    Concurrent calls only ever push the deadline later (one UPDATE with GREATEST)."""
    now = now or timezone.now()
    throttle = _throttle_row(team_id)
    recent = throttle.limited_at and throttle.limited_at > now - STRIKES_FORGOTTEN_AFTER
    strikes = (throttle.strikes if recent else 0) + 1
    until = now + timedelta(seconds=backoff_seconds(retry_after, strikes))
    TeamThrottle.objects.filter(pk=team_id).update(
        backoff_until=Greatest(Coalesce(F("backoff_until"), until), until),
        strikes=min(strikes, 30),
        limited_at=now,
    )
    return until


def throttled_team_ids(now: datetime | None = None) -> list[int]:
    """Teams in backoff now (a handful of rows at most)."""
    now = now or timezone.now()
    return list(
        TeamThrottle.objects.filter(backoff_until__gt=now).values_list("team_id", flat=True)
    )


def _throttle_row(team_id: int) -> TeamThrottle:
    try:
        return TeamThrottle.objects.get_or_create(team_id=team_id)[0]
    except IntegrityError:  # created by another worker in between
        return TeamThrottle.objects.get(team_id=team_id)


# --- dispatch ---------------------------------------------------------------------------------
def _task_waiting(now: datetime) -> Q:
    """Rows whose task is in the queue and due (not a retry waiting for later, not lost)."""
    return Q(task_queued_for__lte=now, task_queued_for__gte=now - QUEUED_TASK_LOST_AFTER)


INGEST_QUEUE_PER_THREAD = 4
# Two submits waiting per submit thread: a thread that finishes finds the next one at once
# (one each left threads idle while the next dispatch ran); a colleague's first task still goes
# ahead of them (task priority).
SUBMIT_QUEUE_PER_THREAD = 2


def queue_depth(concurrency: int) -> int:
    """How many tasks of one lane may wait in the queue: enough to keep every lane worker of every
    live `run_worker` busy (FAIR_QUEUE_DEPTH overrides), few enough that a new colleague's task
    is not stuck behind a long line."""
    if settings.FAIR_QUEUE_DEPTH > 0:
        return settings.FAIR_QUEUE_DEPTH
    return max(2, concurrency) * max(1, _workers_alive())


_alive_cache: tuple[float, int] = (0.0, 0)
ALIVE_CACHE_SECONDS = 5.0  # heartbeats come every 5 s: counting them per dispatch told nothing new


def _workers_alive() -> int:
    global _alive_cache
    now = time.monotonic()
    if now - _alive_cache[0] < ALIVE_CACHE_SECONDS:
        return _alive_cache[1]
    alive = WorkerLoop.objects.filter(
        name__startswith=HEARTBEAT_PREFIX,
        run_at__gte=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE),
    ).count()
    _alive_cache = (now, alive)
    return alive


def _candidates(rows, per_member: int) -> list[Candidate]:
    """The oldest PER_MEMBER rows of each member among ROWS (one query, a window function)."""
    ranked = rows.annotate(
        member_rank=Window(
            RowNumber(),
            partition_by=[F("team_id"), F("user_id")],
            order_by=[F("created_at").asc(), F("pk").asc()],
        )
    ).filter(member_rank__lte=per_member)
    return [Candidate(*row) for row in ranked.values_list("pk", "team_id", "user_id", "created_at")]


def _loads(rows) -> tuple[Counter, Counter]:
    teams: Counter = Counter()
    members: Counter = Counter()
    for team_id, user_id, n in (
        rows.order_by().values_list("team_id", "user_id").annotate(n=Count("pk"))
    ):
        teams[team_id] += n
        members[(team_id, user_id)] += n
    return teams, members


def submits_to_send(now: datetime | None = None) -> list[tuple[int, int]]:
    """(row, task priority) for the queued rows to enqueue a submit task for now, in fair order
    (see the module text and `queue_priority`)."""
    now = now or timezone.now()
    room = queue_depth(settings.SUBMIT_CONCURRENCY * SUBMIT_QUEUE_PER_THREAD) - (
        Generation.objects.filter(_task_waiting(now), state=State.QUEUED).count()
    )
    if room <= 0:
        return []
    throttled = throttled_team_ids(now)
    ready = Generation.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now),
        no_task_queued(now),
        state=State.QUEUED,
    ).exclude(team_id__in=throttled)
    candidates = _candidates(ready, room)
    if not candidates:
        return []
    # Slots in use: sent or being sent, plus rows whose submit task already waits in the queue.
    teams, members = _loads(
        Generation.objects.filter(
            Q(state__in=IN_FLIGHT_STATES) | Q(_task_waiting(now), state=State.QUEUED),
            team_id__in={c.team_id for c in candidates},
        )
    )
    team_cap, member_cap = caps()
    picks = fair_picks(candidates, teams, members, room, team_cap, member_cap)
    return [(c.pk, queue_priority(load)) for c, load in picks]


def ingests_to_send(now: datetime | None = None, batch: int = 1) -> list[tuple[list[int], int]]:
    """([rows], task priority) for the finished rows to enqueue ingest (download) tasks for now,
    in fair order: a batch's 300 results do not all go into the queue ahead of a colleague's
    one, and the colleague's goes before those already waiting. One member's rows share a task,
    up to BATCH a task (its priority is its first row's), so a colleague's result never waits
    inside a burst's task."""
    now = now or timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    downloading = Generation.objects.filter(state=State.DOWNLOADING)
    # Four per ingest thread: topped up a quarter-queue at a time, each pick costs several
    # queries. A colleague's single result still goes ahead of those waiting (task priority).
    depth = queue_depth(settings.INGEST_CONCURRENCY * INGEST_QUEUE_PER_THREAD)
    room = depth - downloading.filter(_task_waiting(now)).count()
    if room <= 0 or room < depth // INGEST_QUEUE_PER_THREAD:
        # Most of the queue still waits: top it up when a thread's worth is free, several at
        # once (every ingest task asks when it ends; picking one at a time cost more than the
        # pick). A colleague's result waits for at most that many to start (as with a queue of
        # one per thread) and then goes first.
        return []
    candidates = _candidates(downloading.filter(free, no_task_queued(now)), room)
    if not candidates:
        return []
    # Load: the results each team and member has waiting to be stored, so a member's one
    # result is stored before a burst's hundreds. (Counting everything in flight as well
    # scanned every in-flight row per dispatch: 17 ms at 5,000 in flight.)
    teams, members = _loads(downloading.filter(team_id__in={c.team_id for c in candidates}))
    tasks: list[tuple[list[int], int]] = []
    open_task: dict[tuple[int, int | None], list[int]] = {}  # a member's task still filling up
    for pick, load in fair_picks(candidates, teams, members, room):
        member = (pick.team_id, pick.user_id)
        rows = open_task.get(member)
        if rows is None or len(rows) >= batch:
            rows = open_task[member] = []
            tasks.append((rows, queue_priority(load)))
        rows.append(pick.pk)
    return tasks


# --- the submit claim -------------------------------------------------------------------------
def claim_submit(generation_id: int, now: datetime, claim: Callable[..., int]) -> str:
    """Run CLAIM (the conditional UPDATE that takes a queued row; `claim(unless_backoff=True)`
    also leaves it if its team is in backoff) unless the row's team is in
    backoff or it would exceed a cap. "claimed", "skipped" (not queued any more, or another worker
    has it), "backoff" or "capped"; the last two leave the row queued for a later dispatch.

    The caps are checked and the row claimed under a lock on the team's TeamThrottle row
    (SELECT … FOR UPDATE on PostgreSQL; SQLite transactions take the write lock at BEGIN), so two
    workers cannot both take the last slot."""
    team_cap, member_cap = caps()
    if not (team_cap or member_cap):
        # No cap to hold exactly: no lock either (every submit thread of every worker queued on
        # the team's one row: 33 ms a claim at 5,000 in flight). The claim itself leaves a row
        # of a team in backoff alone; only a claim that took nothing asks why.
        if claim(unless_backoff=True) == 1:
            return "claimed"
        owner = Generation.objects.filter(pk=generation_id, state=State.QUEUED).values_list(
            "team_id", flat=True
        )
        if TeamThrottle.objects.filter(team_id__in=owner, backoff_until__gt=now).exists():
            return "backoff"
        return "skipped"
    owner = (
        Generation.objects.filter(pk=generation_id, state=State.QUEUED)
        .values_list("team_id", "user_id")
        .first()
    )
    if owner is None:
        return "skipped"
    team_id, user_id = owner
    _throttle_row(team_id)
    with transaction.atomic():
        throttle = TeamThrottle.objects.select_for_update().get(pk=team_id)
        if throttle.backoff_until and throttle.backoff_until > now:
            return "backoff"
        if team_cap or member_cap:
            flying = Generation.objects.filter(team_id=team_id, state__in=IN_FLIGHT_STATES)
            if team_cap and flying.count() >= team_cap:
                return "capped"
            if member_cap and flying.filter(user_id=user_id).count() >= member_cap:
                return "capped"
        return "claimed" if claim() == 1 else "skipped"
