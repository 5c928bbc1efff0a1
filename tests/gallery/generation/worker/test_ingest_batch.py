"""Several results stored by one ingest task: each is claimed, stored and finished on its own,
so one bad file or one row another worker holds changes nothing for the others."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gallery.generation import downloads, tasks, worker
from gallery.models import Generation, MediaItem, State
from tests.factories import make_generation, png_bytes


def _serve(monkeypatch, broken: set[str] = frozenset()):
    good = png_bytes()

    def fake(url, **kw):
        if url in broken:
            raise downloads.DownloadError("gone", permanent=True)
        return downloads.Downloaded(good, "image/png", "png", url)

    monkeypatch.setattr(downloads, "download", fake)


def _finished(team, user, n, **fields):
    return [
        make_generation(
            team,
            user,
            state=State.DOWNLOADING,
            result_urls=[f"https://cdn.example/{team.pk}-{i}-{fields.get('prompt', '')}.png"],
            **fields,
        )
        for i in range(n)
    ]


def test_a_batch_stores_each_result_and_a_bad_one_fails_alone(team_a, owner_a, monkeypatch):
    ok, bad, ok2 = _finished(team_a, owner_a, 3)
    held = _finished(team_a, owner_a, 1, lease_until=timezone.now() + timedelta(minutes=5))[0]
    _serve(monkeypatch, broken={bad.result_urls[0]})

    outcome = worker.ingest_many([ok.pk, bad.pk, held.pk, ok2.pk])

    assert outcome == {ok.pk: True, bad.pk: False, held.pk: False, ok2.pk: True}
    states = dict(Generation.objects.values_list("pk", "state"))
    assert states[ok.pk] == states[ok2.pk] == State.DONE
    assert states[bad.pk] == State.FAILED
    assert states[held.pk] == State.DOWNLOADING  # another worker's: untouched
    assert MediaItem.objects.filter(generation=ok).count() == 1
    assert MediaItem.objects.filter(generation=ok2).count() == 1
    assert not MediaItem.objects.filter(generation__in=[bad, held]).exists()


def test_a_batch_costs_a_few_statements_per_result(team_a, owner_a, monkeypatch):
    rows = _finished(team_a, owner_a, 4)
    _serve(monkeypatch)
    with CaptureQueriesContext(connection) as batch:
        assert all(worker.ingest_many([g.pk for g in rows]).values())
    single = _finished(team_a, owner_a, 1, prompt="one")[0]
    with CaptureQueriesContext(connection) as one:
        assert worker.ingest_one(single.pk)
    # Claim and read once for the batch, not once per result.
    assert len(batch) < 4 * len(one) - 4


def test_the_batch_task_stores_them_and_frees_the_rows_for_later_tasks(
    team_a, owner_a, monkeypatch
):
    rows = _finished(team_a, owner_a, 3)
    _serve(monkeypatch)
    Generation.objects.filter(pk__in=[g.pk for g in rows]).update(task_queued_for=timezone.now())
    assert tasks.ingest_batch.call([g.pk for g in rows]) == 3
    assert set(Generation.objects.values_list("state", "task_queued_for")) == {(State.DONE, None)}


def test_a_transition_writes_every_kind_of_value_as_the_orm_would(team_a, owner_a):
    """transition() writes plain moves in its own SQL: JSON, decimals, dates, translated text
    and NULLs must come back exactly as written, and the card version moves once."""
    from decimal import Decimal

    from django.utils.translation import gettext_lazy

    generation = make_generation(team_a, owner_a, state=State.RUNNING)
    before = Generation.objects.get(pk=generation.pk).card_version
    when = timezone.now().replace(microsecond=123456)
    assert generation.transition(
        [State.SUBMITTED, State.RUNNING],
        State.DOWNLOADING,
        result_urls=["https://cdn.example/a.png", "https://cdn.example/ü.png"],
        usage={"input_tokens": 3, "nested": {"a": [1, 2]}},
        amount_usd=Decimal("0.039000"),
        error_message=gettext_lazy("Image"),
        next_poll_at=None,
        deadline_at=when,
        progress=99,
    )
    assert not generation.transition(State.RUNNING, State.FAILED)  # no longer running
    row = Generation.objects.get(pk=generation.pk)
    assert row.state == State.DOWNLOADING and row.card_version == before + 1
    assert row.result_urls == ["https://cdn.example/a.png", "https://cdn.example/ü.png"]
    assert row.usage == {"input_tokens": 3, "nested": {"a": [1, 2]}}
    assert row.amount_usd == Decimal("0.039")
    assert row.error_message == "Image" and row.next_poll_at is None
    assert row.deadline_at == when and row.progress == 99
