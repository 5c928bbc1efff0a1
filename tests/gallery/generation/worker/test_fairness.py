"""Fair share (issue 18): fair order across teams and members, caps on requests in flight, and a
429 that slows only the team it was meant for (gallery/generation/fairness.py)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Membership, Role
from gallery.generation import fairness, tasks, worker
from gallery.models import Generation, Kind, State, TeamThrottle
from tests.conftest import make_user


def cand(pk: int, team: int, user: int, second: int) -> fairness.Candidate:
    return fairness.Candidate(pk, team, user, datetime(2026, 1, 1, 12) + timedelta(seconds=second))


# --- the pure order ---------------------------------------------------------------------------
def test_a_burst_does_not_go_before_a_colleagues_single_task():
    burst = [cand(i, 1, 10, i) for i in range(1, 301)]  # member 10's 300 tasks, all older
    single = cand(999, 1, 11, 59)
    order = fairness.fair_order([*burst, single], {1: 40}, {(1, 10): 40}, 5)
    assert order[0] == single  # member 11 has nothing in flight: first
    assert [c.pk for c in order[1:]] == [1, 2, 3, 4]  # then the burst, oldest first


def test_two_backlogged_teams_alternate():
    a = [cand(i, 1, 10, i) for i in range(1, 6)]
    b = [cand(100 + i, 2, 20, 30 + i) for i in range(1, 6)]
    order = [c.team_id for c in fairness.fair_order([*a, *b], {}, {}, 6)]
    assert order == [1, 2, 1, 2, 1, 2]


def test_within_a_team_members_alternate_and_each_team_gets_its_turn():
    rows = [cand(i, 1, 10, i) for i in range(1, 5)]  # team 1, member 10
    rows += [cand(10 + i, 1, 11, 10 + i) for i in range(1, 5)]  # team 1, member 11
    rows += [cand(20 + i, 2, 20, 20 + i) for i in range(1, 5)]  # team 2, member 20
    order = [(c.team_id, c.user_id) for c in fairness.fair_order(rows, {}, {}, 6)]
    # Teams alternate; team 1's turns alternate between its members.
    assert order == [(1, 10), (2, 20), (1, 11), (2, 20), (1, 10), (2, 20)]


def test_caps_leave_a_capped_team_or_member_out():
    rows = [cand(i, 1, 10, i) for i in range(1, 6)] + [cand(10 + i, 2, 20, 10 + i) for i in (1, 2)]
    order = fairness.fair_order(rows, {1: 2}, {(1, 10): 2}, 10, team_cap=3)
    assert [c.team_id for c in order] == [2, 2, 1]  # team 1 had 2 of 3: one more, then none
    order = fairness.fair_order(rows, {1: 4}, {(1, 10): 4}, 10, member_cap=4)
    assert [c.user_id for c in order] == [20, 20]  # member 10 is at the cap: nothing for now
    assert len(fairness.fair_order(rows, {}, {}, 3)) == 3  # no caps: as many as asked


def test_backoff_follows_retry_after_or_doubles():
    assert fairness.backoff_seconds(7, 1) == 7
    assert fairness.backoff_seconds(None, 1) == 2
    assert fairness.backoff_seconds(None, 3) == 8
    assert fairness.backoff_seconds(None, 20) == 60
    assert fairness.backoff_seconds(10_000, 1) == fairness.MAX_BACKOFF_SECONDS


# --- dispatch: which rows get a task ----------------------------------------------------------
@pytest.fixture
def colleague(team_a):
    user = make_user("carl@example.com", "Carl")
    Membership.objects.create(team=team_a, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def make_generation(make_generation, team_a):
    """The worker tests' factory, for any member of team A (user=...)."""

    def make(user=None, **fields) -> Generation:
        generation = make_generation(**fields)
        if user is not None:
            Generation.objects.filter(pk=generation.pk).update(user=user)
            generation.user = user
        return generation

    return make


def queued_task_ids() -> list[int]:
    """Generation ids of the submit tasks waiting in the (dummy) queue, in queue order."""
    from django_tasks import default_task_backend

    return [r.args[0] for r in default_task_backend.results if r.task.name == "run_generation"]


@pytest.fixture
def clear_queue():
    from django_tasks import default_task_backend

    default_task_backend.clear()


def test_a_burst_fills_only_the_queue_depth_and_a_colleague_is_next(
    make_generation, colleague, settings, clear_queue, django_capture_on_commit_callbacks
):
    settings.FAIR_QUEUE_DEPTH = 4
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        burst = [make_generation(prompt=f"burst {i}") for i in range(30)]
        for generation in burst:
            tasks.start_generation(generation)
    assert queued_task_ids() == [g.pk for g in burst[:4]]  # not 30 tasks ahead of anyone
    assert len(callbacks) == 1  # one dispatch when the batch's transaction commits, not 30
    with django_capture_on_commit_callbacks(execute=True):
        single = make_generation(prompt="my one image", user=colleague)
        tasks.start_generation(single)
    assert single.pk not in queued_task_ids()  # the queue is full...
    tasks.run_generation.call(burst[0].pk)  # ...until the next submit finishes and tops it up
    assert queued_task_ids()[4] == single.pk  # the colleague is next, before the burst's 5th
    # ...and runs before the burst's tasks already waiting (django-tasks-db: higher first).
    from django_tasks import default_task_backend

    priority = {r.args[0]: r.task.priority for r in default_task_backend.results}
    assert priority[single.pk] == 0
    assert all(priority[g.pk] < 0 for g in burst[1:4])
    single.refresh_from_db()
    assert single.task_queued_for is not None


def test_ingests_are_dispatched_fairly_too(make_generation, colleague, settings, clear_queue):
    settings.FAIR_QUEUE_DEPTH = 2
    results = {"result_urls": ["http://x/1.png"]}
    burst = [make_generation(state=State.DOWNLOADING, **results) for _ in range(10)]
    single = make_generation(state=State.DOWNLOADING, user=colleague, **results)
    assert tasks.dispatch_ingests() == 2
    from django_tasks import default_task_backend

    queued = [r for r in default_task_backend.results if r.task.name == "ingest_batch"]
    # The colleague's one result is not 11th in line: first, in a task of its own (not inside
    # the burst's), and ahead of the burst's.
    assert [r.args[0] for r in queued] == [[single.pk], [burst[0].pk]]
    assert queued[0].task.priority > queued[1].task.priority


def test_one_members_results_share_ingest_tasks(make_generation, colleague, settings, clear_queue):
    """A burst's results are stored several to a task (the queue's bookkeeping per task was most
    of an ingest's cost); a colleague's result still gets a task of its own, first."""
    settings.FAIR_QUEUE_DEPTH = 12
    results = {"result_urls": ["http://x/1.png"]}
    burst = [make_generation(state=State.DOWNLOADING, **results) for _ in range(9)]
    single = make_generation(state=State.DOWNLOADING, user=colleague, **results)
    assert tasks.dispatch_ingests() == 10
    from django_tasks import default_task_backend

    queued = [r.args[0] for r in default_task_backend.results if r.task.name == "ingest_batch"]
    assert queued[0] == [single.pk]
    assert sorted(pk for rows in queued[1:] for pk in rows) == [g.pk for g in burst]
    assert [len(rows) for rows in queued[1:]] == [4, 4, 1]
    assert tasks.dispatch_ingests() == 0  # each row has its one task


# --- caps on requests in flight ---------------------------------------------------------------
def test_a_member_over_the_cap_waits_and_goes_when_a_slot_frees(
    make_generation, colleague, settings, clear_queue
):
    settings.FAIR_MEMBER_MAX_IN_FLIGHT = 2
    mine = [make_generation(prompt=f"mine {i}") for i in range(3)]
    assert [worker.submit_one(g.pk) for g in mine] == ["submitted", "submitted", "deferred"]
    mine[2].refresh_from_db()
    assert mine[2].state == State.QUEUED and mine[2].attempts == 0  # waiting, not failed
    theirs = make_generation(prompt="theirs", user=colleague)
    assert worker.submit_one(theirs.pk) == "submitted"  # the cap is per member
    assert tasks.dispatch_submits() == 0  # nothing may go yet
    Generation.objects.filter(pk=mine[0].pk).update(state=State.DONE)
    assert queued_task_ids() == [] and tasks.dispatch_submits() == 1
    assert queued_task_ids() == [mine[2].pk]
    assert worker.submit_one(mine[2].pk) == "submitted"


def test_the_team_cap_counts_every_member(make_generation, colleague, settings):
    settings.FAIR_TEAM_MAX_IN_FLIGHT = 2
    first, second = make_generation(), make_generation(user=colleague)
    third = make_generation(user=colleague)
    assert [worker.submit_one(g.pk) for g in (first, second, third)] == [
        "submitted",
        "submitted",
        "deferred",
    ]


@pytest.mark.django_db(transaction=True)
def test_parallel_submits_never_exceed_the_member_cap(make_generation, settings):
    """Ten workers race for a member's ten queued rows with a cap of three: exactly three go."""
    settings.FAIR_MEMBER_MAX_IN_FLIGHT = 3
    rows = [make_generation(prompt=f"race {i}") for i in range(10)]
    barrier, outcomes = threading.Barrier(10), [None] * 10

    def submit(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = worker.submit_one(rows[i].pk)
        except Exception as error:  # shown by the assertion below
            outcomes[i] = repr(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["deferred"] * 7 + ["submitted"] * 3, outcomes
    flying = Generation.objects.filter(state__in=fairness.IN_FLIGHT_STATES)
    assert flying.count() == 3, connection.vendor


# --- a 429 slows that team, not everyone ------------------------------------------------------
def test_a_team_in_429_backoff_does_not_delay_another_teams_submit(
    make_generation, team_b, owner_b, clear_queue
):
    limited = make_generation(prompt="[sim:429] a fox")
    waiting = make_generation(prompt="a second fox")
    assert worker.submit_one(limited.pk) == "retry"
    throttle = TeamThrottle.objects.get(team=limited.team)
    assert throttle.backoff_until > timezone.now()  # Zcheap said Retry-After: 1
    assert worker.submit_one(waiting.pk) == "deferred"  # the same team waits...
    other = Generation.objects.create(
        team=team_b, user=owner_b, kind=Kind.IMAGE, model="gemini-3-pro-image-preview", prompt="x"
    )
    assert tasks.dispatch_submits() == 1
    assert queued_task_ids() == [other.pk]  # ...while dispatch sends the other team's at once
    assert worker.submit_one(other.pk) == "submitted"
    # Once the backoff is over, the waiting row goes.
    TeamThrottle.objects.filter(pk=limited.team_id).update(
        backoff_until=timezone.now() - timedelta(seconds=1)
    )
    assert waiting.pk in [pk for pk, _priority in fairness.submits_to_send()]
    assert worker.submit_one(waiting.pk) == "submitted"


def test_polls_of_a_team_in_backoff_wait_and_other_teams_are_polled(
    make_generation, team_b, owner_b
):
    now = timezone.now()
    due = dict(state=State.SUBMITTED, remote_id="img_x", next_poll_at=now - timedelta(seconds=1))
    mine = make_generation(**due)
    theirs = Generation.objects.create(
        team=team_b, user=owner_b, kind=Kind.IMAGE, model="gemini-3-pro-image-preview", **due
    )
    fairness.slow_down(mine.team_id, 30, now)
    claimed = worker.claim_due(now, 10)
    assert [g.pk for g in claimed] == [theirs.pk]


def test_a_429_on_a_poll_slows_that_team(make_generation, monkeypatch):
    from zcheap import errors as e

    generation = make_generation(
        state=State.SUBMITTED, remote_id="img_1", next_poll_at=timezone.now()
    )

    async def limited(team, generations):
        return {g.pk: e.RateLimitedError("busy", retry_after=20) for g in generations}

    monkeypatch.setattr(worker, "_fetch_team", limited)
    assert worker.poll_once() == 1
    until = TeamThrottle.objects.get(team=generation.team).backoff_until
    assert 15 < (until - timezone.now()).total_seconds() <= 20


def test_backoff_only_ever_grows_and_repeated_limits_double_it(team_a):
    now = timezone.now()
    first = fairness.slow_down(team_a.pk, None, now)
    second = fairness.slow_down(team_a.pk, None, now)
    assert (first - now).total_seconds() == 2 and (second - now).total_seconds() == 4
    fairness.slow_down(team_a.pk, 1, now)  # a shorter Retry-After does not cut it short
    assert TeamThrottle.objects.get(pk=team_a.pk).backoff_until == second


def test_without_caps_a_team_in_backoff_still_waits(make_generation, settings, clear_queue):
    """With no cap set the submit claim takes no team lock, but a backoff still holds it."""
    settings.FAIR_MEMBER_MAX_IN_FLIGHT = 0
    settings.FAIR_TEAM_MAX_IN_FLIGHT = 0
    limited = make_generation(prompt="[sim:429] a fox")
    waiting = make_generation(prompt="a second fox")
    assert worker.submit_one(limited.pk) == "retry"
    assert worker.submit_one(waiting.pk) == "deferred"
    TeamThrottle.objects.filter(pk=limited.team_id).update(
        backoff_until=timezone.now() - timedelta(seconds=1)
    )
    assert worker.submit_one(waiting.pk) == "submitted"


def test_a_dispatch_running_in_this_process_is_not_run_twice(make_generation, monkeypatch):
    """Two threads dispatching at once picked the same rows and raced for each: the second now
    leaves it to the first, which looks once more when done (the second thread's task had
    freed room the first one had not seen)."""
    inside = threading.Event()
    release = threading.Event()
    calls = []
    running = []

    def slow_picks(now=None):
        running.append(1)
        calls.append(len(running))  # how many dispatches run at this moment
        inside.set()
        release.wait(5)
        running.pop()
        return []

    monkeypatch.setattr(fairness, "submits_to_send", slow_picks)
    first = threading.Thread(target=tasks.dispatch_submits)
    first.start()
    assert inside.wait(5)
    try:
        assert tasks.dispatch_submits() == 0  # left to the first, not blocked
    finally:
        release.set()
        first.join(5)
    assert calls == [1, 1]  # one more look, never two at once
    assert tasks.dispatch_submits() == 0
    assert calls == [1, 1, 1]  # and the next dispatch runs once
