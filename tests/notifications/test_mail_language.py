"""E-mails are written in the recipient's language (the one they last chose in the language
switcher, else the site's LANGUAGE_CODE); webhooks in their hook's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from accounts.models import Membership, Role, User
from gallery.models import Generation, Kind, State
from notifications import delivery
from notifications.digest import send_daily_digests
from notifications.models import NotificationSettings, Webhook
from tests.conftest import client_for, make_user
from tests.factories import make_generation

from .receiver import Receiver

pytestmark = pytest.mark.django_db


def choose(client, language: str):
    return client.post("/i18n/setlang/", {"language": language, "next": "/"})


def test_the_language_switcher_keeps_a_signed_in_persons_choice(bob, member_a, client):
    assert choose(bob, "zh-hans").status_code == 302
    assert User.objects.get(pk=member_a.pk).language == "zh-hans"
    choose(bob, "en")
    assert User.objects.get(pk=member_a.pk).language == "en"
    choose(bob, "xx-klingon")  # not one of ours: nothing changes
    assert User.objects.get(pk=member_a.pk).language == "en"
    assert choose(client, "zh-hans").status_code == 302  # a visitor: the cookie only


def _fail_a_video(team, user):
    video = make_generation(team, user, kind=Kind.VIDEO, state=State.RUNNING, prompt="fox")
    video = Generation.objects.select_related("user").get(pk=video.pk)  # as the worker reads it
    with TestCase.captureOnCommitCallbacks(execute=True):
        video.transition(State.RUNNING, State.FAILED, error_message="")
    return video


def test_a_task_e_mail_is_in_the_language_its_reader_chose(
    team_a, member_a, owner_a, bob, immediate_tasks
):
    NotificationSettings.objects.create(user=member_a, email_long_tasks=True)
    NotificationSettings.objects.create(user=owner_a, email_long_tasks=True)
    choose(bob, "zh-hans")
    _fail_a_video(team_a, member_a)
    _fail_a_video(team_a, owner_a)  # Alice never chose: the site's language (English)
    by_person = {m.to[0]: m for m in mail.outbox}
    assert "失败了" in by_person["bob@example.com"].subject
    assert "failed" not in by_person["bob@example.com"].subject
    assert "failed" in by_person["alice@example.com"].subject


def test_the_site_language_is_used_for_people_who_never_chose(team_a, member_a, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    NotificationSettings.objects.create(user=member_a, daily_digest=True)
    failed = make_generation(team_a, member_a, state=State.FAILED, prompt="broken fox")
    failed.finished_at = timezone.now() - timedelta(hours=2)
    failed.save()
    assert send_daily_digests() == 1
    assert "自昨天以来" in mail.outbox[0].subject


def test_the_daily_digest_is_in_the_readers_language(team_a, member_a, bob):
    choose(bob, "zh-hans")
    NotificationSettings.objects.create(user=member_a, daily_digest=True)
    failed = make_generation(team_a, member_a, state=State.FAILED, prompt="broken fox")
    failed.finished_at = timezone.now() - timedelta(hours=2)
    failed.save()
    send_daily_digests()
    assert "自昨天以来" in mail.outbox[0].subject and "broken fox" in mail.outbox[0].body


def test_the_low_balance_e_mail_reaches_each_admin_in_their_language(
    team_a, owner_a, alice, django_capture_on_commit_callbacks
):
    from spend.balance import check_threshold
    from spend.models import SpendAccount

    adam = make_user("adam@example.com", "Adam")
    Membership.objects.create(team=team_a, user=adam, role=Role.ADMIN)
    choose(client_for(adam), "zh-hans")
    account = SpendAccount.objects.create(
        team=team_a, balance_micros=1_000_000, balance_threshold_micros=5_000_000
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert check_threshold(team_a, account)
    by_person = {tuple(m.to): m for m in mail.outbox}
    assert set(by_person) == {("adam@example.com",), ("alice@example.com",)}
    assert "余额不足" in by_person[("adam@example.com",)].subject
    assert "is low" in by_person[("alice@example.com",)].subject


def test_an_invitation_to_an_existing_account_is_in_its_language(alice, team_a):
    somebody = make_user("nia@example.com")
    choose(client_for(somebody), "zh-hans")
    alice.post(
        "/team/members/",
        {
            "email": "nia@example.com",
            "role": "member",
            "password1": "a-long-pass-77",
            "password2": "a-long-pass-77",
        },
    )
    (sent,) = mail.outbox
    assert sent.to == ["nia@example.com"] and "邀请你加入" in sent.subject


@pytest.mark.parametrize(
    ("language", "words"), [("en", "is done"), ("zh-hans", "已完成")], ids=["en", "zh-hans"]
)
def test_a_webhook_speaks_the_language_of_the_admin_who_set_it_up(
    alice, team_a, settings, language, words
):
    with Receiver() as receiver:
        settings.WEBHOOK_ALLOWED_HOSTS = [receiver.host]
        choose(alice, language)
        alice.post(
            "/team/webhooks/",
            {"name": "Ops", "format": "slack", "url": receiver.url, "events": ["task.done"]},
        )
        hook = Webhook.objects.get()
        assert delivery.post(hook, "task.done", {"id": 7, "what": "Video"}) == (200, "")
        assert words in receiver.json()["text"]
