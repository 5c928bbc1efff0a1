"""/healthz: what a load balancer and a monitor see about the database and the workers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from gallery.generation.lanes import beat, heartbeat_name
from gallery.models import WorkerLoop

pytestmark = pytest.mark.django_db


def test_with_a_live_worker_everything_is_ok():
    beat(heartbeat_name())
    response = Client().get("/healthz?strict=1")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["worker"]["alive"] and 0 <= body["worker"]["heartbeat_age_seconds"] < 5
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_silent_worker_is_degraded_and_fails_only_the_strict_check(settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    WorkerLoop.objects.create(name="worker:old:1", run_at=timezone.now() - timedelta(minutes=5))
    loose, strict = Client().get("/healthz"), Client().get("/healthz?strict=1")
    assert loose.status_code == 200 and strict.status_code == 503
    assert loose.json()["status"] == "degraded"
    assert 299 <= loose.json()["worker"]["heartbeat_age_seconds"] <= 310


def test_no_worker_ever_is_reported_as_such():
    body = Client().get("/healthz").json()
    assert body["worker"] == {"alive": False, "heartbeat_age_seconds": None}


def test_an_unreachable_database_answers_503(monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "error"
