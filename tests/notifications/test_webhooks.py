"""Team webhooks: signed generic JSON and the chat formats, SSRF rules, retries, the log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from audit.models import AuditEvent
from notifications import delivery, formats
from notifications.models import MAX_ATTEMPTS, Webhook, WebhookDelivery

from .receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    with Receiver() as r:
        settings.WEBHOOK_ALLOWED_HOSTS = [r.host]
        yield r


def _hook(team, url, fmt="generic", secret="s3cret-value-123", events=("task.done",)) -> Webhook:
    hook = Webhook(team=team, name="Hook", format=fmt, events=list(events))
    hook.set_url(url)
    hook.set_secret(secret)
    hook.save()
    return hook


def test_an_admin_adds_a_webhook_and_secrets_are_never_shown_back(alice, team_a, receiver):
    response = alice.post(
        "/team/webhooks/",
        {
            "name": "Ops",
            "format": "generic",
            "url": receiver.url + "?token=very-private-token",
            "secret": "the-signing-secret",
            "events": ["task.done", "task.failed"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    hook = Webhook.objects.get()
    assert "very-private-token" not in hook.url_encrypted
    assert "the-signing-secret" not in hook.secret_encrypted
    for page in (alice.get("/team/webhooks/"), alice.get(f"/team/webhooks/{hook.pk}/")):
        html = page.content.decode()
        assert "very-private-token" not in html and "the-signing-secret" not in html
        assert "/hook" not in html  # only the host is shown
    event = AuditEvent.objects.get(kind="webhook.created")
    assert "the-signing-secret" not in str(event.after) and "very-private" not in str(event.after)


def test_members_cannot_see_or_change_webhooks(bob, team_a):
    hook = _hook(team_a, "https://hooks.example.com/x")
    assert bob.get("/team/webhooks/").status_code == 403
    assert bob.post(f"/team/webhooks/{hook.pk}/test/").status_code == 403


def test_private_addresses_are_refused(alice, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    for url in ("http://127.0.0.1:6379/", "http://10.0.0.5/hook", "http://169.254.169.254/x"):
        response = alice.post(
            "/team/webhooks/",
            {"name": "x", "format": "generic", "url": url, "events": ["task.done"]},
        )
        assert response.status_code == 400, url
        assert b"not allowed" in response.content
    assert not Webhook.objects.exists()


def test_send_test_posts_signed_json_and_logs_it(alice, team_a, receiver):
    hook = _hook(team_a, receiver.url)
    response = alice.post(f"/team/webhooks/{hook.pk}/test/", follow=True)
    assert b"Test delivered (HTTP 200)" in response.content
    sent = receiver.requests[-1]
    expected = "sha256=" + hmac.new(b"s3cret-value-123", sent["body"], hashlib.sha256).hexdigest()
    assert sent["headers"]["X-Zcheap-Signature"] == expected
    assert receiver.json()["event"] == "test"
    log = WebhookDelivery.objects.get()
    assert (log.status, log.response_code, log.attempts) == ("ok", 200, 1)
    assert "HTTP 200" in alice.get(f"/team/webhooks/{hook.pk}/").content.decode()


def test_a_failed_test_says_why(alice, team_a, settings):
    with Receiver(status=500) as r:
        settings.WEBHOOK_ALLOWED_HOSTS = [r.host]
        hook = _hook(team_a, r.url)
        response = alice.post(f"/team/webhooks/{hook.pk}/test/", follow=True)
    assert b"did not arrive" in response.content and b"HTTP 500" in response.content


def test_feishu_sign_and_dingtalk_sign_param(team_a, receiver):
    feishu = _hook(team_a, receiver.url, fmt="feishu")
    code, error = delivery.post(feishu, "task.done", {"id": 7, "what": "Video"})
    assert (code, error) == (200, "")
    body = receiver.json()
    assert body["msg_type"] == "text" and "Video #7" in body["content"]["text"]
    key = f"{body['timestamp']}\n{feishu.secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()

    ding = _hook(team_a, receiver.url + "?access_token=abc", fmt="dingtalk")
    delivery.post(ding, "task.failed", {"id": 8, "what": "Image"})
    query = parse_qs(urlsplit(receiver.requests[-1]["path"]).query)
    assert query["access_token"] == ["abc"]
    message = f"{query['timestamp'][0]}\n{ding.secret}".encode()
    digest = hmac.new(ding.secret.encode(), message, hashlib.sha256).digest()
    assert query["sign"][0] == base64.b64encode(digest).decode()
    assert receiver.json()["msgtype"] == "text"


def test_wecom_and_slack_bodies(team_a, receiver):
    delivery.post(_hook(team_a, receiver.url, fmt="wecom"), "batch.done", {"total": 3})
    assert receiver.json()["text"]["content"].startswith("Your batch of 3")
    delivery.post(_hook(team_a, receiver.url, fmt="slack"), "task.done", {"id": 1})
    assert "is done" in receiver.json()["text"]


def test_a_chat_error_code_in_a_200_is_a_failure():
    ok, error = formats.accepted("feishu", 200, b'{"code":19021,"msg":"sign match fail"}')
    assert not ok and "19021" in error
    assert formats.accepted("generic", 200, b'{"code":5}') == (True, "")


def test_failures_are_retried_with_backoff_then_given_up(team_a, settings, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "notifications.tasks.enqueue_delivery", lambda pk, when=None: queued.append(when)
    )
    with Receiver(status=503) as r:
        settings.WEBHOOK_ALLOWED_HOSTS = [r.host]
        hook = _hook(team_a, r.url)
        item = WebhookDelivery.objects.create(webhook=hook, event="task.done", data={"id": 1})
        statuses = [delivery.attempt(item.pk) for _n in range(MAX_ATTEMPTS)]
        assert len(r.requests) == MAX_ATTEMPTS
    assert statuses == ["retrying"] * (MAX_ATTEMPTS - 1) + ["failed"]
    waits = [q for q in queued if q]
    assert len(waits) == MAX_ATTEMPTS - 1 and waits == sorted(waits)  # later and later
    item.refresh_from_db()
    assert (item.status, item.response_code, item.attempts) == ("failed", 503, MAX_ATTEMPTS)
    assert delivery.attempt(item.pk) == "skipped"  # a final delivery is not sent again


def test_events_queue_deliveries_only_for_hooks_that_want_them(team_a, team_b, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "notifications.tasks.enqueue_delivery", lambda pk, when=None: queued.append(pk)
    )
    wants = _hook(team_a, "https://hooks.example.com/a", events=["task.done"])
    _hook(team_a, "https://hooks.example.com/b", events=["task.failed"])
    _hook(team_b, "https://hooks.example.com/c", events=["task.done"])
    paused = _hook(team_a, "https://hooks.example.com/d", events=["task.done"])
    paused.active = False
    paused.save()
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert delivery.queue_event(team_a, "task.done", {"id": 1}) == 1
    assert queued == [WebhookDelivery.objects.get(webhook=wants).pk]


def test_deleting_a_webhook_is_audited(alice, team_a):
    hook = _hook(team_a, "https://hooks.example.com/a")
    assert alice.post(f"/team/webhooks/{hook.pk}/delete/").status_code == 302
    assert not Webhook.objects.exists()
    assert AuditEvent.objects.get(kind="webhook.deleted").before["name"] == "Hook"


def test_editing_keeps_the_url_and_secret_when_left_empty(alice, team_a):
    hook = _hook(team_a, "https://hooks.example.com/a")
    response = alice.post(
        f"/team/webhooks/{hook.pk}/",
        {"name": "Renamed", "format": "slack", "events": ["batch.done"], "active": "on"},
    )
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.name == "Renamed" and hook.url == "https://hooks.example.com/a"
    assert hook.secret == "s3cret-value-123" and hook.events == ["batch.done"]
    assert AuditEvent.objects.get(kind="webhook.changed").before["name"] == "Hook"


@pytest.mark.django_db(transaction=True)
def test_a_delivery_claimed_in_parallel_is_sent_once(team_a, settings):
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (SQLite serialises writers anyway)")
    with Receiver() as r:
        settings.WEBHOOK_ALLOWED_HOSTS = [r.host]
        hook = _hook(team_a, r.url)
        item = WebhookDelivery.objects.create(webhook=hook, event="task.done", data={"id": 1})
        barrier, outcomes = threading.Barrier(8), []

        def run() -> None:
            barrier.wait()
            try:
                outcomes.append(delivery.attempt(item.pk))
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(r.requests) == 1
    assert sorted(outcomes) == ["ok"] + ["skipped"] * 7


def test_outsiders_never_reach_another_teams_webhook(olga, team_a):
    hook = _hook(team_a, "https://hooks.example.com/a")
    assert olga.get(f"/team/webhooks/{hook.pk}/").status_code == 404
    assert olga.post(f"/team/webhooks/{hook.pk}/test/").status_code == 404


def test_deliveries_left_behind_are_queued_again(team_a, monkeypatch):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    queued = []
    monkeypatch.setattr(
        "notifications.tasks.enqueue_delivery", lambda pk, when=None: queued.append(pk)
    )
    hook = _hook(team_a, "https://hooks.example.com/a")
    long_ago = timezone.now() - timedelta(minutes=30)
    Status = WebhookDelivery.Status

    def make(status, **fields):
        return WebhookDelivery.objects.create(
            webhook=hook, event="task.done", status=status, **fields
        )

    lost = make(Status.PENDING, created_at=long_ago)
    died = make(Status.SENDING, last_attempt_at=long_ago, attempts=1)
    overdue = make(Status.RETRYING, next_attempt_at=long_ago)
    fresh = make(Status.PENDING)
    waiting = make(Status.RETRYING, next_attempt_at=timezone.now() + timedelta(minutes=10))
    done = make(Status.OK, created_at=long_ago)
    call_command("retry_webhooks")
    assert sorted(queued) == sorted([lost.pk, died.pk, overdue.pk])
    assert WebhookDelivery.objects.get(pk=died.pk).status == Status.RETRYING
    assert {fresh.pk, waiting.pk, done.pk}.isdisjoint(queued)


def test_the_reconcile_loop_sends_lost_deliveries_again_a_few_per_turn(
    team_a, receiver, settings, django_capture_on_commit_callbacks
):
    """No cron needed: each turn of the worker's reconcile loop queues again (at most
    WEBHOOK_RETRIES_PER_TURN) deliveries a lost task or a worker killed mid-send left behind,
    and the next turn does not queue the same ones again."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import default_task_backend

    from gallery.generation import tasks

    default_task_backend.clear()
    settings.WEBHOOK_RETRIES_PER_TURN = 2
    hook = _hook(team_a, receiver.url)
    long_ago = timezone.now() - timedelta(minutes=30)
    Status = WebhookDelivery.Status

    def make(status, **fields):
        return WebhookDelivery.objects.create(
            webhook=hook, event="task.done", status=status, data={"prompt": "fox"}, **fields
        ).pk

    lost = [
        make(Status.PENDING, created_at=long_ago),
        make(Status.SENDING, created_at=long_ago, last_attempt_at=long_ago, attempts=1),
        make(Status.RETRYING, created_at=long_ago, next_attempt_at=long_ago, attempts=2),
    ]
    fresh = make(Status.PENDING)

    def turn() -> list[int]:
        (loop,) = [r for r in default_task_backend.results if r.task.name == "reconcile_loop"]
        default_task_backend.clear()
        tasks.reconcile_loop.call(loop.args[0])
        return [r.args[0] for r in default_task_backend.results if r.task.name == "deliver_webhook"]

    with django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_loops()
    first, second, third = turn(), turn(), turn()
    assert len(first) == 2 and len(second) == 1 and third == []
    assert sorted(first + second) == sorted(lost) and fresh not in first + second
    for pk in first + second:  # the worker runs what was queued: each one arrives
        assert delivery.attempt(pk) == "ok"
    assert len(receiver.requests) == 3
    assert set(WebhookDelivery.objects.filter(pk__in=lost).values_list("status", flat=True)) == {
        Status.OK
    }
