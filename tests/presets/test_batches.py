"""Batch runs: a list or a CSV, checked whole (problems by row and column), created all at once;
the batch card's progress, board, cancel and retry; batch_finished exactly once."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from gallery.models import Board, BoardItem, Generation, State
from notifications.events import batch_finished
from presets.models import Batch, BatchTask
from tests.conftest import HTMX, client_for
from tests.factories import make_item

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "image",
    "model": "gemini-3.1-flash-image-preview",
    "prompt": "",
    "aspect_ratio": "1:1",
    "size": "1K",
    "count": "3",  # the single-task picture count is not a batch's variants
}


def _csv(text: str, encoding: str = "utf-8", name: str = "batch.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_a_list_of_prompts_times_variants_is_counted_then_created(bob, team_a, member_a):
    data = {**FORM, "batch_prompts": "red fox\n\nblue whale\n green frog ", "batch_variants": "2"}
    preview = bob.post("/batches/check/", data, **HTMX).content.decode()
    assert 'data-batch-count="6"' in preview
    assert "This batch makes 6 tasks (3 prompts × 2 variants each)." in preview
    assert not Generation.objects.exists()  # counting sends nothing
    response = bob.post("/batches/new/", {**data, "batch_name": "Animals"}, **HTMX)
    batch = Batch.objects.get()
    assert response["HX-Redirect"] == f"/batches/{batch.pk}/"
    tasks = list(batch.tasks().order_by("pk"))
    assert [t.prompt for t in tasks] == ["red fox"] * 2 + ["blue whale"] * 2 + ["green frog"] * 2
    assert {t.state for t in tasks} == {State.QUEUED}
    assert {(t.user, t.model, t.params["size"]) for t in tasks} == {
        (member_a, "gemini-3.1-flash-image-preview", "1K")
    }
    assert sorted(BatchTask.objects.values_list("row", flat=True)) == [1, 1, 3, 3, 4, 4]
    assert batch.board.name == "Animals" and batch.board.shared
    card = bob.get(f"/batches/{batch.pk}/").content.decode()
    assert "6 running" in card and "Animals" in card


def test_a_csv_with_settings_per_row(bob, team_a):
    text = "prompt,aspect_ratio,size\nred fox,16:9,2K\nblue whale,,\n"
    response = bob.post("/batches/new/", {**FORM, "batch_csv": _csv(text)})
    assert response.status_code == 302
    tasks = {t.prompt: t.params for t in Batch.objects.get().tasks()}
    assert tasks["red fox"]["aspect_ratio"] == "16:9" and tasks["red fox"]["size"] == "2K"
    # An empty cell keeps the form's own setting.
    assert tasks["blue whale"]["aspect_ratio"] == "1:1" and tasks["blue whale"]["size"] == "1K"


@pytest.mark.parametrize(
    ("raw", "prompts"),
    [
        ("\ufeffprompt;size\n狐狸;2K\n鲸鱼;1K\n".encode(), ["狐狸", "鲸鱼"]),  # Excel UTF-8, ;
        ("prompt,size\n狐狸,2K\n鲸鱼,1K\n".encode("gbk"), ["狐狸", "鲸鱼"]),  # Chinese Excel
        (b"Prompt\tSize\r\nfox\t2K\r\n", ["fox"]),  # tabs, a capitalised header, CRLF
    ],
)
def test_csv_files_as_spreadsheets_write_them(bob, raw, prompts):
    upload = SimpleUploadedFile("b.csv", raw, content_type="text/csv")
    response = bob.post("/batches/new/", {**FORM, "batch_csv": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(Batch.objects.get().tasks().values_list("prompt", flat=True)) == sorted(prompts)


def test_csv_problems_are_reported_by_row_and_column_and_nothing_is_sent(bob):
    text = "prompt,size,colour\nfox,1K,red\n"
    page = bob.post("/batches/check/", {**FORM, "batch_csv": _csv(text)}, **HTMX).content.decode()
    assert 'data-problem-row="1" data-problem-column="colour"' in page
    assert "Unknown column" in page
    text = "prompt,aspect_ratio,size\nfox,1:1,1K\n,1:1,1K\nwhale,7:3,1K\nfrog,1:1,9K\n"
    response = bob.post("/batches/new/", {**FORM, "batch_csv": _csv(text)})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-problem-row="3" data-problem-column="prompt"' in page
    assert 'data-problem-row="4" data-problem-column="aspect_ratio"' in page
    assert 'data-problem-row="5" data-problem-column="size"' in page
    assert "Nothing was started. Fix these 3 problems first:" in page
    assert "Allowed: 512px, 1K, 2K, 4K." in page
    assert not Generation.objects.exists() and not Batch.objects.exists()
    assert not Board.objects.exists()


def test_video_sound_column_takes_yes_and_no(bob):
    form = {
        "kind": "video",
        "model": "ima-pro",
        "role_mode": "reference",
        "duration": "5",
        "resolution": "720p",
        "aspect_ratio": "16:9",
    }
    text = "prompt,audio,duration\ntea,yes,5\ncoffee,no,10\nmilk,maybe,5\n"
    page = bob.post("/batches/new/", {**form, "batch_csv": _csv(text)}).content.decode()
    assert 'data-problem-row="4" data-problem-column="audio"' in page
    text = "prompt,audio,duration\ntea,yes,5\ncoffee,否,10\n"
    assert bob.post("/batches/new/", {**form, "batch_csv": _csv(text)}).status_code == 302
    tasks = {t.prompt: t.params for t in Batch.objects.get().tasks()}
    assert tasks["tea"]["audio"] is True and tasks["coffee"]["audio"] is False
    assert tasks["coffee"]["duration"] == 10


def test_a_setting_of_the_form_itself_is_reported_once_for_the_batch(bob):
    data = {**FORM, "aspect_ratio": "8:1", "model": "gemini-3-pro-image-preview"}
    page = bob.post("/batches/check/", {**data, "batch_prompts": "a\nb\nc"}, **HTMX).content
    assert page.decode().count("This model does not make 8:1 images.") == 1


def test_batch_size_and_file_size_are_capped(bob, settings):
    settings.BATCH_MAX_TASKS = 5
    data = {**FORM, "batch_prompts": "a\nb\nc", "batch_variants": "2"}
    page = bob.post("/batches/new/", data).content.decode()
    assert "A batch may make at most 5 tasks; this one would make at least 6." in page
    settings.BATCH_CSV_MAX_BYTES = 1024
    page = bob.post("/batches/new/", {**FORM, "batch_csv": _csv("prompt\n" + "x" * 2000)})
    assert "The file is too large" in page.content.decode()
    page = bob.post("/batches/new/", {**FORM, "batch_variants": "99", "batch_prompts": "a"})
    assert "Variants per prompt must be between 1 and 10." in page.content.decode()
    page = bob.post("/batches/new/", {**FORM, "batch_csv": _csv("", name="empty.csv")})
    assert page.status_code == 400
    garbage = SimpleUploadedFile("b.csv", b"\xff\xfe\x00\x81\x82" * 10, content_type="text/csv")
    page = bob.post("/batches/new/", {**FORM, "batch_csv": garbage})
    assert page.status_code == 400
    assert not Generation.objects.exists()


def test_a_batch_is_created_whole_or_not_at_all(bob, monkeypatch):
    from gallery.generation.forms import ImageForm

    original, calls = ImageForm.create, []

    def flaky(self, request):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return original(self, request)

    monkeypatch.setattr(ImageForm, "create", flaky)
    with pytest.raises(RuntimeError):
        bob.post("/batches/new/", {**FORM, "batch_prompts": "a\nb\nc\nd"})
    assert not Generation.objects.exists() and not Batch.objects.exists()
    assert not Board.objects.exists()


def test_viewers_and_outsiders(vera, olga, bob):
    assert 'id="batch-tools"' not in vera.get("/create/image/").content.decode()
    assert 'id="batch-tools"' in bob.get("/create/image/").content.decode()
    assert vera.post("/batches/new/", {**FORM, "batch_prompts": "a"}).status_code == 403
    bob.post("/batches/new/", {**FORM, "batch_prompts": "a"})
    batch = Batch.objects.get()
    assert olga.get(f"/batches/{batch.pk}/").status_code == 404
    assert olga.post(f"/batches/{batch.pk}/cancel/").status_code == 404
    assert vera.get(f"/batches/{batch.pk}/").status_code == 200  # viewers look
    assert vera.post(f"/batches/{batch.pk}/cancel/").status_code == 403


def test_results_land_in_the_batch_board_and_the_batch_finishes_once(
    bob, django_capture_on_commit_callbacks
):
    bob.post("/batches/new/", {**FORM, "batch_prompts": "a\nb", "batch_name": "Two"})
    batch = Batch.objects.get()
    first, second = batch.tasks().order_by("pk")
    sent = []
    batch_finished.connect(lambda **kw: sent.append(kw["batch"].pk), weak=False, dispatch_uid="t")
    try:
        Generation.objects.filter(pk=first.pk).update(state=State.DOWNLOADING)
        item = make_item(first)  # stored by the worker, then the task is done
        with django_capture_on_commit_callbacks(execute=True):
            assert first.transition(State.DOWNLOADING, State.DONE)
        assert BoardItem.objects.filter(board=batch.board, item=item).exists()
        assert not batch.check_finished()  # one still running
        page = bob.get(f"/batches/{batch.pk}/?poll=1", **HTMX)
        assert page.status_code == 200 and "1 done" in page.content.decode()
        Generation.objects.filter(pk=second.pk).update(state=State.FAILED)
        page = bob.get(f"/batches/{batch.pk}/?poll=1", **HTMX)
        assert page.status_code == 286  # finished: the card stops polling
        assert "1 failed" in page.content.decode()
        assert not Batch.objects.get().check_finished()
        bob.get("/batches/")
        assert sent == [batch.pk]
    finally:
        batch_finished.disconnect(dispatch_uid="t")


def test_cancel_the_rest_and_retry_the_failures(bob, alice, team_a, member_a):
    bob.post("/batches/new/", {**FORM, "batch_prompts": "a\nb\nc\nd"})
    batch = Batch.objects.get()
    a, b, c, d = batch.tasks().order_by("pk")
    Generation.objects.filter(pk=a.pk).update(state=State.DONE)
    Generation.objects.filter(pk=b.pk).update(state=State.FAILED)
    Generation.objects.filter(pk=c.pk).update(state=State.SUBMITTING)  # may be billed: kept
    response = bob.post(f"/batches/{batch.pk}/cancel/", follow=True)
    assert "Stopped 1 task of the batch." in response.content.decode()
    assert Generation.objects.get(pk=d.pk).state == State.CANCELLED
    assert Generation.objects.get(pk=c.pk).state == State.SUBMITTING
    bob.post(f"/batches/{batch.pk}/retry/")
    tasks = list(batch.tasks().order_by("pk"))
    assert [t.prompt for t in tasks] == ["a", "c", "d", "b"]  # b again, as a new task
    assert tasks[-1].state == State.QUEUED and tasks[-1].pk != b.pk
    assert Generation.objects.get(pk=b.pk).state == State.FAILED  # the old one stays as it was
    response = bob.post(f"/batches/{batch.pk}/retry/", follow=True)
    assert "No failed tasks to retry." in response.content.decode()


# --- exactly once (PostgreSQL) ---------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_racing_finishers_announce_the_batch_once(team_a, member_a):
    if connection.vendor != "postgresql":
        pytest.skip("racing UPDATEs need PostgreSQL (SQLite serialises writers anyway)")
    client = client_for(member_a)
    client.post("/batches/new/", {**FORM, "batch_prompts": "a\nb\nc"})
    batch = Batch.objects.get()
    batch.tasks().update(state=State.DONE)
    sent, barrier = [], threading.Barrier(8)
    batch_finished.connect(lambda **kw: sent.append(1), weak=False, dispatch_uid="race")

    def finish() -> None:
        try:
            mine = Batch.objects.get(pk=batch.pk)
            barrier.wait()
            mine.check_finished()
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=finish) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        batch_finished.disconnect(dispatch_uid="race")
    assert sent == [1]
    assert Batch.objects.get().finished_at is not None


def test_a_midjourney_batch_writes_each_rows_flags(bob):
    form = {"kind": "mj", "prompt": "", "ar": "16:9"}
    text = "prompt,stylize,ar\nlighthouse,250,\nharbour,2000,3:4\n"
    page = bob.post("/batches/new/", {**form, "batch_csv": _csv(text)}).content.decode()
    assert 'data-problem-row="3" data-problem-column="stylize"' in page
    text = "prompt,stylize,ar\nlighthouse,250,\nharbour,50,3:4\n"
    assert bob.post("/batches/new/", {**form, "batch_csv": _csv(text)}).status_code == 302
    prompts = sorted(Batch.objects.get().tasks().values_list("prompt", flat=True))
    assert prompts == ["harbour --ar 3:4 --stylize 50", "lighthouse --ar 16:9 --stylize 250"]


def test_the_last_task_reaching_its_end_finishes_the_batch_and_tells_its_owner(bob, member_a):
    from django.test import TestCase

    from notifications.models import Notification

    bob.post("/batches/new/", {**FORM, "batch_prompts": "a\nb\nc"})
    batch = Batch.objects.get()
    tasks = list(batch.tasks().order_by("pk"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tasks[0].transition(State.QUEUED, State.DONE)
        assert tasks[1].transition(State.QUEUED, State.FAILED)
    assert Batch.objects.get().finished_at is None  # one still queued
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tasks[2].transition(State.QUEUED, State.DONE)  # as the worker moves it
    assert Batch.objects.get().finished_at is not None
    note = Notification.objects.get(user=member_a, kind="batch_done")
    assert "3" in note.text and "1 failed" in note.text
    assert note.url == f"/batches/{batch.pk}/"  # the bell leads to the batch card
