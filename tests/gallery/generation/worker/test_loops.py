"""The reconcile loop: one at a time, restarted when its worker died, and it runs the periodic
asset sync (polling is every worker's poll process: test_poller.py)."""

from __future__ import annotations

import contextlib
import sqlite3
import textwrap
import time

import pytest
from django_tasks import default_task_backend

from gallery.generation import tasks
from gallery.models import WorkerLoop
from tests.gallery.generation.worker.processes import (
    migrate,
    run_script,
    start_worker,
    stop_worker,
    worker_env,
)


def enqueued(name: str) -> list:
    return [r for r in default_task_backend.results if r.task.name == name]


@pytest.fixture(autouse=True)
def _empty_queue():
    default_task_backend.clear()


@pytest.mark.django_db
def test_a_live_reconcile_loop_is_not_doubled(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loops()
        tasks.ensure_loops()
    assert len(enqueued("reconcile_loop")) == 1


@pytest.mark.django_db
def test_an_old_token_stops_without_touching_the_new_loop(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loops()
        tasks.ensure_loops(restart=True)  # a worker starting up
    old, new = (r.args[0] for r in enqueued("reconcile_loop"))
    assert tasks.reconcile_loop.call(old) == {}
    assert WorkerLoop.objects.get(name="reconcile").token == new


@pytest.mark.django_db
def test_each_reconcile_turn_enqueues_the_asset_sync_when_it_is_due(
    settings, django_capture_on_commit_callbacks
):
    settings.ASSET_SYNC_SECONDS = 900
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loops()
    (first,) = enqueued("reconcile_loop")
    tasks.reconcile_loop.call(first.args[0])
    assert len(enqueued("sync_all_teams")) == 1
    second = enqueued("reconcile_loop")[-1]  # the loop rescheduled itself
    tasks.reconcile_loop.call(second.args[0])
    assert len(enqueued("sync_all_teams")) == 1, "not due again for 15 minutes"


@pytest.mark.django_db
def test_no_asset_sync_when_it_is_turned_off(settings, django_capture_on_commit_callbacks):
    settings.ASSET_SYNC_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loops()
    tasks.reconcile_loop.call(enqueued("reconcile_loop")[0].args[0])
    assert enqueued("sync_all_teams") == []


GROUP_UPSTREAM = textwrap.dedent(
    """
    import django, os
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from accounts.models import Team
    from gallery.generation.simulator_runtime import demo_client
    team = Team.objects.create(name="Assets")
    with demo_client(team) as client:
        client.asset_group_create("Made on Zcheap's site")
    """
)


@pytest.mark.slow
def test_the_running_worker_syncs_the_asset_library(tmp_path):
    """Issue 18: the periodic sync was called only by tests. A group created on Zcheap's side
    reaches our mirror through a real `run_worker` and nothing else."""
    env = worker_env(tmp_path, ASSET_SYNC_SECONDS="1")
    migrate(env)
    run_script(env, GROUP_UPSTREAM)
    worker = start_worker(env, tmp_path, "assets", "--interval", "0.1")
    names: list[str] = []
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not names:
            time.sleep(0.5)
            database = env["DATABASE_URL"].removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
                names = [row[0] for row in db.execute("SELECT name FROM assets_assetgroup")]
    finally:
        stop_worker(worker)
    assert names == ["Made on Zcheap's site"], (tmp_path / "assets.log").read_text()[-3000:]
