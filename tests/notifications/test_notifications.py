"""In-app notifications (the bell), e-mail choices and the daily digest."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gallery.models import Kind, State
from notifications import events
from notifications.digest import send_daily_digests
from notifications.models import Notification, NotificationSettings, notify
from tests.conftest import HTMX
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db


def _finish(generation, state=State.DONE, **fields):
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert generation.transition(generation.state, state, **fields)


def test_a_finished_video_rings_the_bell_and_an_image_does_not(team_a, member_a, bob):
    video = make_generation(team_a, member_a, kind=Kind.VIDEO, state=State.DOWNLOADING)
    make_item(video)
    image = make_generation(team_a, member_a, state=State.DOWNLOADING)
    _finish(video)
    _finish(image)
    note = Notification.objects.get(user=member_a)
    assert note.kind == "task_done" and f"#{video.pk}" in note.text
    page = bob.get("/").content.decode()
    assert "data-bell-count>1<" in page


def test_a_failure_rings_the_bell_in_the_readers_language(team_a, member_a, bob, settings):
    image = make_generation(team_a, member_a, state=State.RUNNING)
    _finish(image, State.FAILED, error_message="The result could not be downloaded.")
    english = bob.get("/notifications/").content.decode()
    assert f"#{image.pk}" in english and "failed. The result could not be downloaded." in english
    bob.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = bob.get("/notifications/").content.decode()
    assert "失败了" in chinese and "failed." not in chinese


def test_stopping_a_task_yourself_rings_nothing(team_a, member_a):
    g = make_generation(team_a, member_a, kind=Kind.VIDEO, state=State.RUNNING)
    _finish(g, State.CANCELLED)
    assert not Notification.objects.exists()


def test_the_bell_costs_no_query_on_pages_or_the_card_poll(team_a, member_a, bob):
    running = make_generation(team_a, member_a, state=State.RUNNING)
    bob.get("/")  # the session's team is stored on the first request
    notify([member_a.pk], team_a.pk, "task_done", {"id": 1})
    with CaptureQueriesContext(connection) as queries:
        response = bob.get(f"/tasks/poll/?ids={running.pk}:-1", **HTMX)
    assert response.status_code == 200
    assert not [q for q in queries if "notifications_" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        page = bob.get("/history/").content.decode()
    assert not [q for q in queries if "notifications_" in q["sql"]]
    assert "data-bell-count>1<" in page  # the count rides on the membership row


def test_the_bell_counts_per_team(team_a, team_b, member_a, bob):
    from accounts.models import Membership, Role

    Membership.objects.create(team=team_b, user=member_a, role=Role.MEMBER)
    notify([member_a.pk], team_b.pk, "task_done", {"id": 1})
    assert Membership.objects.get(team=team_b, user=member_a).unread_notifications == 1
    assert Membership.objects.get(team=team_a, user=member_a).unread_notifications == 0
    # A drifted counter heals when the person opens their notifications.
    Membership.objects.filter(team=team_a, user=member_a).update(unread_notifications=7)
    bob.get("/notifications/")
    assert Membership.objects.get(team=team_a, user=member_a).unread_notifications == 0


def test_mark_one_and_all_read(team_a, member_a, bob, alice, owner_a):
    notify([member_a.pk], team_a.pk, "task_done", {"id": 1}, "/history/")
    notify([member_a.pk, owner_a.pk], team_a.pk, "task_done", {"id": 2})
    first = Notification.objects.get(user=member_a, data__id=1)
    theirs = Notification.objects.get(user=owner_a)
    response = bob.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/history/"
    assert bob.post(f"/notifications/{theirs.pk}/read/").status_code == 404  # not someone else's
    assert "data-bell-count>1<" in bob.get("/").content.decode()
    bob.post("/notifications/read/")
    assert not Notification.objects.filter(user=member_a, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert "data-bell-count" not in bob.get("/").content.decode()


def test_a_notification_never_redirects_off_site(team_a, member_a, bob):
    note = Notification.objects.create(
        user=member_a, team=team_a, kind="task_done", url="https://evil.example/"
    )
    response = bob.post(f"/notifications/{note.pk}/read/", {"open": "1"})
    assert response["Location"] == "/notifications/"


def test_email_for_long_tasks_only_when_asked(team_a, member_a, bob, immediate_tasks):
    video = make_generation(team_a, member_a, kind=Kind.VIDEO, state=State.RUNNING)
    _finish(video, State.FAILED)
    assert mail.outbox == []
    assert bob.post("/notifications/settings/", {"email_long_tasks": "on"}).status_code == 302
    assert NotificationSettings.of(member_a).email_long_tasks
    other = make_generation(team_a, member_a, kind=Kind.VIDEO, state=State.DOWNLOADING)
    make_item(other)
    _finish(other)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bob@example.com"] and f"#{other.pk}" in mail.outbox[0].subject
    assert "http" in mail.outbox[0].body  # a link back


def test_batch_finished_notifies_and_mails(team_a, member_a, immediate_tasks):
    NotificationSettings.objects.create(user=member_a, email_long_tasks=True)

    class Batch:
        pk, total, failed = 5, 4, 1

    events.batch_finished.send(sender=None, batch=Batch(), team=team_a, user=member_a)
    note = Notification.objects.get(user=member_a)
    assert note.kind == "batch_done" and "4" in note.text and "1 failed" in note.text
    assert len(mail.outbox) == 1


def test_a_team_budget_warning_reaches_owners_and_admins(team_a, owner_a, member_a, viewer_a):
    events.budget_threshold.send(
        sender=None,
        team=team_a,
        user=None,
        percent=80,
        spent=Decimal("8"),
        budget=Decimal("10"),
        kind="team",
    )
    assert list(Notification.objects.values_list("user", flat=True)) == [owner_a.pk]
    assert "80%" in Notification.objects.get().text


def test_a_broken_listener_never_fails_the_sender(team_a, member_a, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr("notifications.receivers.queue_event", boom)
    events.budget_threshold.send(
        sender=None, team=team_a, user=member_a, percent=100, spent=1, budget=1, kind="member"
    )  # no exception


def test_daily_digest_lists_failures_once(team_a, member_a, owner_a):
    NotificationSettings.objects.create(user=member_a, daily_digest=True)
    NotificationSettings.objects.create(user=owner_a, daily_digest=True)
    failed = make_generation(team_a, member_a, state=State.FAILED, prompt="broken fox")
    failed.finished_at = timezone.now() - timedelta(hours=2)
    failed.error_message = "Zcheap refused the prompt."
    failed.save()
    make_generation(team_a, member_a, state=State.DONE)
    call_command("send_digests")
    assert len(mail.outbox) == 1  # Alice had no failures: no e-mail
    assert mail.outbox[0].to == ["bob@example.com"] and "broken fox" in mail.outbox[0].body
    assert send_daily_digests() == 0  # a second run the same day sends nothing
    later = timezone.now() + timedelta(days=1)
    assert send_daily_digests(later) == 0  # nothing new failed since
