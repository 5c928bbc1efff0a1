"""Submit, poll and ingest against the simulator: each step called directly."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from PIL import Image, ImageChops, ImageStat

from accounts.models import Team
from gallery.generation import worker
from gallery.generation.simulator_runtime import demo_client
from gallery.models import Generation, Kind, MediaItem, State
from tests.gallery.generation.worker.conftest import drive
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


def _submits() -> dict:

    with demo_client(Team(pk=0)) as client:  # the stats route is not per account
        return client._http.get(client.url("/__sim__/stats")).json()["submits"]


def test_it_takes_an_image_from_queued_to_done_with_thumbnails(make_generation):
    generation = make_generation(params={"aspect_ratio": "16:9", "size": "1K"})
    assert worker.submit_one(generation.pk) == "submitted"
    generation = drive(generation)
    assert generation.state == State.DONE and generation.progress == 100
    item = MediaItem.objects.get(generation=generation)
    assert item.media_kind == "image" and item.width > item.height
    assert item.prompt == "a red fox" and item.user_id == generation.user_id
    with item.thumbnail.open("rb") as fh:
        assert Image.open(io.BytesIO(fh.read())).format == "WEBP"
    assert generation.usage["total_tokens"] > 0


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two pictures at a small common size (0 = the same)."""
    a, b = a.convert("L").resize((32, 32)), b.convert("L").resize((32, 32))
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def test_it_splits_a_midjourney_grid_into_four_items(make_generation):
    generation = drive(make_generation(kind=Kind.MIDJOURNEY, prompt="castle --ar 3:2"))
    assert generation.state == State.DONE
    items = list(generation.items.order_by("index"))
    assert [item.index for item in items] == [0, 1, 2, 3]
    with demo_client(generation.team) as client:
        grid = Image.open(io.BytesIO(client.mj_image(generation.remote_id)))
    w, h = grid.width // 2, grid.height // 2
    quadrants = [
        grid.crop(((i % 2) * w, (i // 2) * h, (i % 2 + 1) * w, (i // 2 + 1) * h)) for i in range(4)
    ]
    pictures = []
    for item in items:
        with item.file.open("rb") as fh:
            pictures.append(Image.open(io.BytesIO(fh.read())))
    assert len({item.sha256 for item in items}) == 4  # four different files...
    for index, picture in enumerate(pictures):  # ...each the grid's picture of its own number
        distances = [_difference(picture, quadrant) for quadrant in quadrants]
        assert distances.index(min(distances)) == index, distances


def test_it_makes_a_poster_and_reads_the_duration_of_a_video(make_generation):
    generation = drive(
        make_generation(
            kind=Kind.VIDEO, params={"duration": 4, "aspect_ratio": "16:9", "resolution": "480p"}
        )
    )
    item = generation.items.get()
    assert item.media_kind == "video" and item.poster
    assert item.duration == pytest.approx(4, abs=0.5)


def test_a_second_delivery_of_the_same_submit_does_nothing(make_generation):
    generation = make_generation()
    before = _submits().get("image", 0)
    assert worker.submit_one(generation.pk) == "submitted"
    assert worker.submit_one(generation.pk) == "skipped"
    assert _submits()["image"] == before + 1


def test_ingest_twice_stores_each_file_once(make_generation):
    generation = drive(make_generation(kind=Kind.MIDJOURNEY, prompt="twice"))
    Generation.objects.filter(pk=generation.pk).update(state=State.DOWNLOADING, lease_until=None)
    worker.ingest_one(generation.pk)
    assert MediaItem.objects.filter(generation=generation).count() == 4


@pytest.mark.parametrize(
    ("marker", "state", "text"),
    [
        ("moderation", State.FAILED, "content review"),
        ("invalid", State.FAILED, "rejected the request"),
        ("401", State.FAILED, "refused the API key"),
        ("quota", State.FAILED, "no balance or quota"),
        ("500", State.NEEDS_REVIEW, "not sent again"),
        ("hang", State.NEEDS_REVIEW, "not sent again"),
        ("malformed", State.NEEDS_REVIEW, "not sent again"),
        ("fail", State.FAILED, "could not finish"),
        ("expire", State.DONE, ""),
    ],
)
def test_every_simulator_failure_ends_in_a_clear_state(
    make_generation, settings, marker, state, text
):
    generation = make_generation(prompt=f"x [sim:{marker}]")
    done = drive(generation)
    assert done.state == state, done.error_message
    assert text in done.error_message
    if state == State.FAILED and marker not in {"fail"}:
        assert done.upstream_error  # the upstream text is kept behind a disclosure


def test_a_rate_limited_submit_is_queued_again_not_failed(make_generation):
    generation = make_generation(prompt="busy [sim:429]")
    assert worker.submit_one(generation.pk) == "retry"
    generation.refresh_from_db()
    assert generation.state == State.QUEUED and generation.next_poll_at is not None
    assert "busy" in generation.error_message


def test_an_expired_result_link_fails_with_an_explanation(make_generation, settings):
    generation = make_generation(prompt="old [sim:expire]")
    worker.submit_one(generation.pk)
    generation.refresh_from_db()
    with demo_client(generation.team) as client:
        task = wait_until(
            lambda: client.get_image(generation.remote_id), lambda t: t.status == "succeeded"
        )
        wait_until(  # the simulator's fast expiry is 1 s after finishing
            lambda: client._http.get(task.url).status_code, lambda status: status == 404
        )
    done = drive(generation)
    assert done.state == State.FAILED and "expired" in done.error_message


def test_a_late_task_times_out_then_lands_when_the_result_arrives(make_generation, settings):
    settings.GENERATION_DEADLINES = {"image": 0, "mj": 0, "video": 0}
    generation = make_generation(prompt="slow [sim:late]")
    worker.submit_one(generation.pk)
    generation.refresh_from_db()
    Generation.objects.filter(pk=generation.pk).update(next_poll_at=generation.created_at)
    worker.poll_once()
    generation.refresh_from_db()
    assert generation.state == State.TIMED_OUT and "24 hours" in generation.error_message
    with demo_client(generation.team) as client:  # [sim:late] adds 2 s in fast mode
        wait_until(
            lambda: client.get_image(generation.remote_id), lambda t: t.status == "succeeded"
        )
    assert drive(generation).state == State.DONE


def test_cancel_stops_tracking(make_generation):
    generation = make_generation()
    worker.submit_one(generation.pk)
    generation.refresh_from_db()
    assert worker.cancel(generation)
    assert worker.poll_once() == 0
    generation.refresh_from_db()
    assert generation.state == State.CANCELLED


def test_a_late_success_does_not_overwrite_a_cancel(make_generation):
    """The poll loop claimed the row, the person pressed cancel, then Zcheap's "succeeded"
    arrives for the copy the loop holds: the task stays cancelled and nothing is downloaded."""
    generation = make_generation()
    worker.submit_one(generation.pk)
    held_by_the_poll_loop = Generation.objects.select_related("team").get(pk=generation.pk)
    with demo_client(held_by_the_poll_loop.team) as client:
        result = wait_until(
            lambda: client.get_image(held_by_the_poll_loop.remote_id),
            lambda t: t.status == "succeeded",
        )
    assert worker.cancel(Generation.objects.get(pk=generation.pk))
    worker.apply_poll(held_by_the_poll_loop, result, timezone.now())
    generation.refresh_from_db()
    assert generation.state == State.CANCELLED and generation.result_urls == []
    assert worker.ready_for_ingest() == []
    assert not MediaItem.objects.filter(generation=generation).exists()


def test_reconcile_turns_a_submit_lost_with_its_worker_into_needs_review(make_generation):
    from datetime import timedelta

    from django.utils import timezone

    generation = make_generation()
    Generation.objects.filter(pk=generation.pk).update(
        state=State.SUBMITTING, lease_until=timezone.now() - timedelta(seconds=1)
    )
    report = worker.reconcile()
    generation.refresh_from_db()
    assert generation.state == State.NEEDS_REVIEW and report["needs_review"] == [generation.pk]
    assert "not sent again" in generation.error_message


def test_reconcile_resubmits_queued_rows_nobody_picked_up(make_generation):
    from datetime import timedelta

    from django.utils import timezone

    generation = make_generation()
    Generation.objects.filter(pk=generation.pk).update(
        updated_at=timezone.now() - timedelta(minutes=1)
    )
    assert worker.reconcile()["resubmit"] == [generation.pk]


def test_a_setting_injects_a_failure_into_every_demo_submit(make_generation, settings):
    settings.ZCHEAP_DEMO_INJECT = "moderation"
    done = drive(make_generation(prompt="an innocent prompt"))
    assert done.state == State.FAILED and "content review" in done.error_message
