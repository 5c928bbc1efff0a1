"""The self-rescheduling poll loop: one at a time, and never idle while work waits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import default_task_backend

from gallery.generation import tasks
from gallery.models import State, WorkerLoop

pytestmark = pytest.mark.django_db


def enqueued_loops() -> list[str]:
    return [r.args[0] for r in default_task_backend.results if r.task.name == "poll_loop"]


@pytest.fixture(autouse=True)
def _empty_queue():
    default_task_backend.clear()


def test_a_task_submitted_after_the_loop_went_idle_is_polled_at_once(
    make_generation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.ensure_loop("poll", tasks.poll_loop, timezone.now())
    (token,) = enqueued_loops()
    tasks.poll_loop.call(token)  # nothing in flight: the loop ends
    assert WorkerLoop.objects.get(name="poll").run_at is None

    # Seconds later a new task is submitted (the state submit_one leaves it in).
    make_generation(
        state=State.SUBMITTED,
        remote_id="task_x",
        next_poll_at=timezone.now() + timedelta(seconds=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loops()
    assert len(enqueued_loops()) == 2, "the new task would wait for the reconcile loop"


def test_a_live_loop_is_not_doubled(make_generation, django_capture_on_commit_callbacks):
    make_generation(state=State.SUBMITTED, remote_id="task_y", next_poll_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loops()
        tasks.ensure_loops()
    assert len(enqueued_loops()) == 1


def test_an_old_token_stops_without_touching_the_new_loop(
    make_generation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loop("poll", tasks.poll_loop, timezone.now())
        tasks.ensure_loop("poll", tasks.poll_loop, timezone.now(), restart=True)
    old, new = enqueued_loops()
    assert tasks.poll_loop.call(old) == 0
    assert WorkerLoop.objects.get(name="poll").token == new
