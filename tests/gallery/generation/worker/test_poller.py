"""Every worker polls (issue 18): each worker's poll process claims its own batches, the rows'
leases keep the claims disjoint, and a poll that changes nothing but the next poll time is
written with the rest of its batch."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import Membership, Team, User
from bench.fake_upstream import FakeUpstream
from gallery.generation import worker
from gallery.generation.poller import Poller
from gallery.models import Generation, State


def _in_flight(team, user, fake, count: int, run_s: float) -> list[Generation]:
    now = timezone.now()
    return Generation.objects.bulk_create(
        [
            Generation(
                team=team,
                user=user,
                kind="image",
                action="generate",
                model="gemini-3-pro-image-preview",
                prompt=f"in flight {i}",
                state=State.SUBMITTED,
                remote_id=fake.add_task(run_s=run_s),
                submitted_at=now,
                next_poll_at=now,
                deadline_at=now + timedelta(minutes=10),
                late_until=now + timedelta(hours=24),
            )
            for i in range(count)
        ]
    )


def _team(fake) -> tuple[Team, User]:
    team = Team.objects.create(name="Fleet", base_url=fake.url)
    team.set_api_key("fleet-key")
    team.save()
    user = User.objects.create_user("fleet@example.com", "pw-fleet-test-1")
    Membership.objects.create(team=team, user=user, role="owner")
    return team, user


# Both databases; on PostgreSQL the two pollers' claims really race.
@pytest.mark.django_db(transaction=True)
def test_two_workers_poll_every_row_and_never_one_row_twice_at_once():
    fake = FakeUpstream(delay=0.05).start()
    team, user = _team(fake)
    rows = _in_flight(team, user, fake, 120, run_s=0.5)
    stopping = threading.Event()
    pollers = [Poller(concurrency=20, batch_size=15, pipelines=3) for _ in range(2)]

    def run(poller: Poller) -> None:
        try:
            poller.run(stopping)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(p,)) for p in pollers]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not Generation.objects.filter(state__in=[State.SUBMITTED, State.RUNNING]).exists():
                break
            time.sleep(0.2)
    finally:
        stopping.set()
        for thread in threads:
            thread.join(30)
    states = set(Generation.objects.filter(pk__in=[r.pk for r in rows]).values_list("state"))
    assert states == {(State.DOWNLOADING,)}, "every finished task was seen finished"
    assert all(p.polled for p in pollers), "both workers polled"
    assert fake.overlapping_polls == 0
    assert fake.polls_after_done == 0  # a finished task is not polled again


@pytest.mark.django_db
def test_a_poll_that_changes_nothing_moves_only_the_next_poll_time(make_generation):
    now = timezone.now()
    running = make_generation(
        state=State.RUNNING, remote_id="t1", progress=50, remote_status="processing"
    )
    cancelled_meanwhile = make_generation(
        state=State.RUNNING, remote_id="t2", progress=50, remote_status="processing"
    )
    Generation.objects.filter(pk__in=[running.pk, cancelled_meanwhile.pk]).update(
        lease_until=now + timedelta(minutes=2), next_poll_at=now
    )
    batch = list(Generation.objects.filter(pk__in=[running.pk, cancelled_meanwhile.pk]))
    worker.cancel(cancelled_meanwhile)  # the user cancels while the poll is in the air
    still = _image_task("processing")
    versions = dict(Generation.objects.values_list("pk", "card_version"))

    outcomes = worker.apply_polls(batch, {g.pk: still for g in batch}, now)

    assert outcomes == {running.pk: "running", cancelled_meanwhile.pk: "running"}
    running.refresh_from_db()
    assert running.state == State.RUNNING and running.lease_until is None
    assert running.next_poll_at >= now + timedelta(seconds=1.6)  # 2 s, with jitter
    assert running.card_version == versions[running.pk]  # the card shows nothing new
    cancelled_meanwhile.refresh_from_db()
    assert cancelled_meanwhile.state == State.CANCELLED  # not brought back by the poll


@pytest.mark.django_db
def test_a_poll_with_news_in_a_batch_is_written_in_full(make_generation):
    now = timezone.now()
    started = make_generation(state=State.SUBMITTED, remote_id="t3", progress=5)
    finished = make_generation(state=State.RUNNING, remote_id="t4", progress=50)
    batch = [started, finished]
    results = {
        started.pk: _image_task("processing"),
        finished.pk: _image_task("succeeded", url="http://127.0.0.1:1/r.png"),
    }
    outcomes = worker.apply_polls(batch, results, now)
    assert outcomes == {started.pk: "running", finished.pk: "success"}
    started.refresh_from_db()
    finished.refresh_from_db()
    assert (started.state, started.progress) == (State.RUNNING, 50)
    assert finished.state == State.DOWNLOADING
    assert finished.result_urls == ["http://127.0.0.1:1/r.png"]


@pytest.mark.django_db
def test_many_tasks_starting_at_once_are_written_in_one_update(make_generation):
    """Queued -> running for a whole batch: one UPDATE, not one per row, and each card still
    shows its new state (its version moves) with its own next poll time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    rows = [make_generation(state=State.SUBMITTED, remote_id=f"s{i}") for i in range(30)]
    versions = dict(Generation.objects.values_list("pk", "card_version"))
    with CaptureQueriesContext(connection) as queries:
        outcomes = worker.apply_polls(rows, {g.pk: _image_task("processing") for g in rows}, now)
    assert set(outcomes.values()) == {"running"}
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1, updates
    after = {g.pk: g for g in Generation.objects.filter(pk__in=[r.pk for r in rows])}
    assert {g.state for g in after.values()} == {State.RUNNING}
    assert all(g.card_version == versions[pk] + 1 for pk, g in after.items())
    assert all(g.remote_status == "processing" and g.lease_until is None for g in after.values())
    assert len({g.next_poll_at for g in after.values()}) > 1  # jittered, each its own


def _image_task(status: str, url: str = ""):
    from zcheap import types as t

    return t.ImageTask(task_id="x", status=status, url=url, urls=(url,) if url else ())


@pytest.mark.django_db(transaction=True)
def test_an_idle_poll_process_looks_at_the_database_once_per_wake_up(monkeypatch):
    """Four idle pipelines take turns: one looks (then sleeps holding the turn), the others
    wait, so an idle process claims about once a second, not four times."""
    from gallery.generation import poller as poller_module

    claims = []
    poller = Poller(concurrency=4, batch_size=10, pipelines=4)
    original = poller._claim

    def counting():
        claims.append(time.monotonic())
        return original()

    monkeypatch.setattr(poller, "_claim", counting)
    monkeypatch.setattr(poller_module, "IDLE_MAX", 0.5)
    stopping = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stopping,))
    thread.start()
    time.sleep(2.0)
    stopping.set()
    thread.join(10)
    # About 2.0 / 0.5 = 4 looks (5 at most); four pipelines each looking would be 16.
    assert 2 <= len(claims) <= 6, len(claims)


@pytest.mark.django_db
def test_a_row_finished_by_another_poller_meanwhile_is_not_leased_again(make_generation):
    """A poller chose a due row; before it leased it, another poller polled it, saw it
    finished and freed it. The lease must not take it (it would be polled after "succeeded")."""
    now = timezone.now()
    row = make_generation(state=State.RUNNING, remote_id="t9", next_poll_at=now)
    still_due = make_generation(state=State.RUNNING, remote_id="t10", next_poll_at=now)
    Generation.objects.filter(pk=row.pk).update(
        state=State.DOWNLOADING, next_poll_at=None, lease_until=None
    )
    leased = worker.lease_due([row.pk, still_due.pk], now)
    assert [g.pk for g in leased] == [still_due.pk]
    row.refresh_from_db()
    assert row.lease_until is None  # free for its ingest
