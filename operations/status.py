"""What the operations page shows: small read-only queries, one function per panel.

`team_status` reads only the team's own rows; `site_status` (staff only) reads the workers'
heartbeats, the task queue and counts across all teams, never another team's tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from gallery.generation import fair_caps, worker_heartbeats
from gallery.models import Generation, State, TeamThrottle, WorkerLoop

IN_FLIGHT = (State.SUBMITTED, State.RUNNING)
# A task counts as stuck when it has not moved for this long in a state that should move on.
STUCK_QUEUED = timedelta(minutes=10)
STUCK_DOWNLOADING = timedelta(minutes=10)
STUCK_POLL_OVERDUE = timedelta(minutes=2)
LIST_LIMIT = 20


@dataclass
class Lanes:
    """How many tasks wait in each step of the worker, and the oldest overdue poll."""

    waiting_to_send: int = 0
    sending: int = 0
    at_zcheap: int = 0
    saving: int = 0
    poll_lag_seconds: float | None = None  # None: nothing overdue

    @property
    def idle(self) -> bool:
        return not (self.waiting_to_send or self.sending or self.at_zcheap or self.saving)


def lanes(generations, now: datetime) -> Lanes:
    counts = dict(
        generations.filter(
            state__in=[State.QUEUED, State.SUBMITTING, *IN_FLIGHT, State.DOWNLOADING]
        )
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    oldest = (
        generations.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            state__in=IN_FLIGHT,
            next_poll_at__lte=now,
        )
        .order_by()
        .aggregate(at=Min("next_poll_at"))["at"]
    )
    return Lanes(
        waiting_to_send=counts.get(State.QUEUED, 0),
        sending=counts.get(State.SUBMITTING, 0),
        at_zcheap=sum(counts.get(s, 0) for s in IN_FLIGHT),
        saving=counts.get(State.DOWNLOADING, 0),
        poll_lag_seconds=round((now - oldest).total_seconds(), 1) if oldest else None,
    )


def stuck(generations, now: datetime) -> Q:
    """Tasks among GENERATIONS that should have moved on by now (see the STUCK_* limits).

    A task waiting to be sent is stuck only when nothing of GENERATIONS was sent lately either:
    behind a cap or a big batch, waiting is fair share doing its job, not a fault."""
    sending = generations.filter(submitted_at__gte=now - STUCK_QUEUED).exists()
    waiting_too_long = Q(pk__in=[]) if sending else Q(state=State.QUEUED)
    return (
        (waiting_too_long & Q(created_at__lt=now - STUCK_QUEUED))
        | Q(state=State.SUBMITTING, lease_until__lt=now)
        | Q(state__in=IN_FLIGHT, next_poll_at__lt=now - STUCK_POLL_OVERDUE)
        | Q(state=State.DOWNLOADING, updated_at__lt=now - STUCK_DOWNLOADING)
    )


@dataclass
class TeamStatus:
    lanes: Lanes
    backoff_until: datetime | None
    team_cap: int
    member_cap: int
    attention: list[Generation] = field(default_factory=list)
    attention_more: bool = False


def team_status(team, now: datetime | None = None) -> TeamStatus:
    """The team's own queue: tasks per step, the oldest overdue poll, a rate-limit backoff, and
    the tasks that are stuck or need review (newest first), with their owners."""
    now = now or timezone.now()
    generations = Generation.objects.filter(team=team)
    throttle = TeamThrottle.objects.filter(team=team, backoff_until__gt=now).first()
    attention = list(
        generations.filter(stuck(generations, now) | Q(state=State.NEEDS_REVIEW))
        .select_related("user")
        .order_by("-created_at", "-pk")[: LIST_LIMIT + 1]
    )
    for generation in attention:
        generation.is_stuck = generation.state != State.NEEDS_REVIEW
    team_cap, member_cap = fair_caps()
    return TeamStatus(
        lanes=lanes(generations, now),
        backoff_until=throttle.backoff_until if throttle else None,
        team_cap=team_cap,
        member_cap=member_cap,
        attention=attention[:LIST_LIMIT],
        attention_more=len(attention) > LIST_LIMIT,
    )


@dataclass
class Worker:
    name: str
    last_beat: datetime
    age_seconds: float
    alive: bool


@dataclass
class SiteStatus:
    workers: list[Worker]
    loops: dict[str, datetime | None]
    queue_depth: dict[str, int] | None  # None: this task backend cannot tell
    lanes: Lanes
    teams_in_backoff: int
    needs_review: int
    stuck: int


def queue_depth(now: datetime) -> dict[str, int] | None:
    """Tasks ready to run in each queue of the task backend (database or RQ)."""
    try:
        if settings.TASK_BACKEND == "database":
            from django_tasks_db.models import DBTaskResult

            ready = DBTaskResult.objects.ready().order_by().values_list("queue_name")
            found = dict(ready.annotate(n=Count("pk")))
        elif settings.TASK_BACKEND == "rq":
            import django_rq

            found = {q: django_rq.get_queue(q).count for q in settings.TASK_QUEUES}
        else:
            return None
    except Exception:  # the queue is unreachable: say "unknown" rather than fail the page
        return None
    return {queue: found.get(queue, 0) for queue in settings.TASK_QUEUES}


def site_status(now: datetime | None = None) -> SiteStatus:
    now = now or timezone.now()
    max_age = settings.WORKER_HEARTBEAT_MAX_AGE
    workers = []
    for name, beat in worker_heartbeats():
        age = max(0.0, (now - beat).total_seconds())
        workers.append(Worker(name, beat, round(age, 1), age <= max_age))
    loops = dict(
        WorkerLoop.objects.filter(name__in=["poll", "reconcile"]).values_list("name", "run_at")
    )
    generations = Generation.objects.all()
    return SiteStatus(
        workers=workers,
        loops={name: loops.get(name) for name in ("poll", "reconcile")},
        queue_depth=queue_depth(now),
        lanes=lanes(generations, now),
        teams_in_backoff=TeamThrottle.objects.filter(backoff_until__gt=now).count(),
        needs_review=generations.filter(state=State.NEEDS_REVIEW).count(),
        stuck=generations.filter(stuck(generations, now)).count(),
    )
