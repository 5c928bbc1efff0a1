from __future__ import annotations

import time

import pytest

from gallery.generation import worker
from gallery.models import Generation, Kind, State


@pytest.fixture(autouse=True)
def _fast_simulator(settings, tmp_path):
    settings.ZCHEAP_SIMULATOR_DB = tmp_path / "sim.db"
    settings.ZCHEAP_DEMO_SPEED = "fast"
    settings.ZCHEAP_READ_TIMEOUT = 1.0  # the fast simulator's [sim:hang] lasts 2 s


@pytest.fixture
def make_generation(team_a, owner_a):
    def make(
        kind=Kind.IMAGE, prompt="a red fox", action="generate", model="", **fields
    ) -> Generation:
        model = (
            model
            or {
                Kind.IMAGE: "gemini-3-pro-image-preview",
                Kind.VIDEO: "ima-pro",
                Kind.MIDJOURNEY: "midjourney",
            }[kind]
        )
        if kind == Kind.MIDJOURNEY and action == "generate":
            action = "imagine"
        return Generation.objects.create(
            team=team_a,
            user=owner_a,
            kind=kind,
            action=action,
            model=model,
            prompt=prompt,
            **fields,
        )

    return make


def drive(generation: Generation, timeout: float = 6.0) -> Generation:
    """Run the worker steps the way the loops do until GENERATION is terminal."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        generation.refresh_from_db()
        if generation.state == State.QUEUED:
            worker.submit_one(generation.pk)
        elif generation.state == State.DOWNLOADING:
            worker.ingest_one(generation.pk)
        elif generation.is_terminal and generation.state != State.TIMED_OUT:
            return generation  # timed-out tasks are still checked late, so keep going
        else:
            from django.utils import timezone

            Generation.objects.filter(pk=generation.pk).update(next_poll_at=timezone.now())
            worker.poll_once()
        time.sleep(0.05)
    generation.refresh_from_db()
    return generation
