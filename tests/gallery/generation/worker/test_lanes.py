"""Lanes and the enqueue-once marker: no task waits behind another's, and the queue holds one
task per row and step however often the loops look at a row."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import threading
import time

import pytest
from django.db import connections
from django_tasks import task_backends

from gallery.generation import tasks, worker
from gallery.models import QUEUED_TASK_LOST_AFTER, Generation, State
from tests.gallery.generation.worker.processes import (
    migrate,
    run_script,
    start_worker,
    worker_env,
)


def _queued(task_name: str) -> int:
    return sum(1 for result in task_backends["default"].results if result.task.name == task_name)


@pytest.fixture(autouse=True)
def _empty_queue():
    task_backends["default"].clear()


@pytest.mark.django_db
def test_a_finished_row_gets_one_ingest_task_however_many_loops_see_it(make_generation):
    generation = make_generation(state=State.DOWNLOADING, result_urls=["http://x/1.png"])
    tasks.enqueue_ingest(generation.pk)  # the poller's way in, when its poll saw "succeeded"
    for _turn in range(2):  # two reconcile turns see the row waiting
        for pk in worker.reconcile()["reingest"]:
            tasks.enqueue_ingest(pk)
    assert _queued("ingest_generation") == 1
    # Once that task has started, a new one may be queued (e.g. a retry after the lease).
    Generation.objects.filter(pk=generation.pk).update(task_queued_for=None)
    assert tasks.enqueue_ingest(generation.pk)
    assert _queued("ingest_generation") == 2


@pytest.mark.django_db
def test_a_queued_row_gets_one_submit_task(make_generation):
    generation = make_generation()
    assert tasks.enqueue_submit(generation.pk)
    assert not tasks.enqueue_submit(generation.pk)  # reconcile sees it still queued
    assert _queued("run_generation") == 1
    generation.transition(State.QUEUED, State.CANCELLED)
    Generation.objects.filter(pk=generation.pk).update(task_queued_for=None)
    assert not tasks.enqueue_submit(generation.pk)  # only queued rows are submitted


@pytest.mark.django_db
def test_a_step_run_outside_its_queued_task_lets_the_next_step_be_queued(make_generation):
    """The browser tests' worker (and any direct call) runs steps without their task: the row
    must still reach the ingest queue once it finishes."""
    generation = make_generation()
    assert tasks.enqueue_submit(generation.pk)
    assert worker.submit_one(generation.pk) == "submitted"
    generation.transition(State.SUBMITTED, State.DOWNLOADING, result_urls=["http://x/1.png"])
    assert generation.pk in worker.ready_for_ingest()
    assert tasks.enqueue_ingest(generation.pk)


@pytest.mark.django_db
def test_a_lost_queued_task_is_queued_again_after_a_while(make_generation):
    generation = make_generation()
    assert tasks.enqueue_submit(generation.pk)
    long_ago = generation.created_at - QUEUED_TASK_LOST_AFTER
    Generation.objects.filter(pk=generation.pk).update(task_queued_for=long_ago)
    assert tasks.enqueue_submit(generation.pk)


# Both databases; on PostgreSQL the threads really race (SQLite serialises writers).
@pytest.mark.django_db(transaction=True)
def test_twelve_parallel_enqueues_of_one_row_queue_one_task(make_generation):
    generation = make_generation(state=State.DOWNLOADING, result_urls=["http://x/1.png"])
    barrier, results = threading.Barrier(12), [None] * 12

    def enqueue(i: int) -> None:
        try:
            barrier.wait()
            results[i] = tasks.enqueue_ingest(generation.pk)
        except Exception as error:  # shown by the assertion below
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enqueue, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == [False] * 11 + [True]  # one thread enqueued, once


# --- a real worker: one hung request delays only its own task ---------------------------------
HUNG_AND_NORMAL = textwrap.dedent(
    """
    import django, os
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from django.db import transaction
    from accounts.models import Membership, Team, User
    from gallery.models import Generation
    from gallery.generation.tasks import start_generation
    for name, prompt in [("Hung", "[sim:hang] a fox"), ("Normal", "a cat")]:
        team = Team.objects.create(name=name)
        user = User.objects.create_user(f"{name}@example.com", "pw-worker-test-1")
        Membership.objects.create(team=team, user=user, role="owner")
        with transaction.atomic():  # the hung one is queued first
            g = Generation.objects.create(team=team, user=user, kind="image", action="generate",
                                          model="gemini-3-pro-image-preview", prompt=prompt)
            start_generation(g)
    """
)


BY_TEAM = textwrap.dedent(
    """
    import django, os, json
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from gallery.models import Generation
    from gallery.generation.lanes import last_heartbeat
    found = dict(Generation.objects.values_list("team__name", "state"))
    print(json.dumps({**found, "heartbeat": bool(last_heartbeat())}))
    """
)


def _states_by_team(env) -> tuple[str, str, bool]:
    found = json.loads(run_script(env, BY_TEAM))
    return found["Hung"], found["Normal"], found["heartbeat"]


@pytest.mark.slow
def test_a_hung_submit_does_not_delay_another_teams_task(tmp_path):
    # Demo timing: [sim:hang] holds the submit 40 s (cut at the 30 s read timeout); a normal
    # image takes ~6-8 s. Before lanes the worker sat in the hung submit and the other team's
    # task was not even sent until it gave up.
    env = worker_env(tmp_path, ZCHEAP_DEMO_SPEED="demo", ZCHEAP_READ_TIMEOUT="30")
    migrate(env)
    run_script(env, HUNG_AND_NORMAL)
    worker = start_worker(env, tmp_path, "lanes", "--interval", "0.1")
    try:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            hung, normal, heartbeat = _states_by_team(env)
            if normal == "done":
                break
            time.sleep(0.3)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    log = (tmp_path / "lanes.log").read_text()[-3000:]
    assert normal == "done", log
    assert hung == "submitting", log  # the other team's task finished while this one hung
    assert heartbeat  # /healthz sees the worker alive
