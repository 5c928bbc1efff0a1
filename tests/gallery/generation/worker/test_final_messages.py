"""What a finished card says: never a promise of another try, never a stale warning."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gallery.generation import worker
from gallery.models import Generation, State

pytestmark = pytest.mark.django_db


def _give_up_on_429(make_generation) -> Generation:
    generation = make_generation(prompt="busy [sim:429]")
    Generation.objects.filter(pk=generation.pk).update(attempts=worker.MAX_SUBMIT_ATTEMPTS - 1)
    assert worker.submit_one(generation.pk) == "failed"
    generation.refresh_from_db()
    return generation


def test_a_429_task_that_gave_up_does_not_say_it_will_be_tried_again(make_generation, alice):
    generation = _give_up_on_429(make_generation)
    assert generation.state == State.FAILED
    assert "tried again" not in generation.error_message
    page = alice.get(f"/tasks/{generation.pk}/").content.decode()
    assert "tried again" not in page
    assert "stopped trying" in page


def test_the_details_of_a_429_are_in_the_readers_language(make_generation, alice):
    generation = _give_up_on_429(make_generation)
    english = alice.get(f"/tasks/{generation.pk}/").content.decode()
    assert "too many requests" in english.lower()  # not only Zcheap's own (Chinese) text
    alice.cookies["django_language"] = "zh-hans"
    chinese = alice.get(f"/tasks/{generation.pk}/").content.decode()
    assert "请求过多" in chinese and "stopped trying" not in chinese


def test_a_late_result_does_not_keep_the_taking_much_longer_warning(make_generation):
    generation = make_generation(prompt="a fox")
    assert worker.submit_one(generation.pk) == "submitted"
    generation.refresh_from_db()
    now = timezone.now()
    generation.transition(
        generation.state, State.TIMED_OUT, error_message="Zcheap is taking much longer than usual."
    )

    class Finished:
        status = "succeeded"
        urls = ["https://cdn.example/x.png"]
        error_message = ""
        usage = {}

    assert worker.apply_poll(generation, Finished(), now) == "success"
    generation.refresh_from_db()
    assert generation.state == State.DOWNLOADING
    assert "much longer" not in generation.error_message


def test_cancelling_a_task_waiting_for_a_retry_drops_the_retry_promise(make_generation):
    generation = make_generation(prompt="busy [sim:429]")
    assert worker.submit_one(generation.pk) == "retry"
    generation.refresh_from_db()
    assert "tried again" in generation.error_message  # true while it waits
    assert worker.cancel(generation)
    generation.refresh_from_db()
    assert generation.state == State.CANCELLED and "tried again" not in generation.error_message


def test_a_timed_out_task_past_its_late_window_no_longer_says_we_keep_checking(
    make_generation, alice
):
    from datetime import timedelta

    generation = make_generation(prompt="a fox")
    Generation.objects.filter(pk=generation.pk).update(
        state=State.TIMED_OUT,
        error_message=(
            "Zcheap is taking much longer than usual. We keep checking for 24 hours and "
            "the result will appear here if it arrives."
        ),
        late_until=timezone.now() - timedelta(minutes=1),
    )
    page = alice.get(f"/tasks/{generation.pk}/").content.decode()
    assert "We keep checking" not in page and "stopped checking" in page
