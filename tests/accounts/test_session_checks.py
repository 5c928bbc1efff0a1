"""What a signed-in request checks, now read in fewer queries (accounts.backends,
accounts.sessions): a card poll reads the session, then the user with their memberships, then
the cards' versions. Nothing is remembered between requests, so logging out, a new password,
a deactivated account, an expired session and a removed membership all count on the very
next poll of a tab that is already open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership, Role
from gallery.models import State
from tests.conftest import HTMX, PASSWORD, client_for, make_user
from tests.factories import make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(team_a, member_a):
    return make_generation(team_a, member_a, state=State.RUNNING, prompt="a running fox")


def poll(client: Client, generation):
    return client.get(f"/tasks/poll/?ids={generation.pk}:-1", **HTMX)


def sees_card(response, generation) -> bool:
    return response.status_code == 200 and f"#gen-{generation.pk}" in response.content.decode()


def sent_to_login(response) -> bool:
    return response.get("HX-Redirect", "").startswith("/accounts/login/")


def test_a_card_poll_costs_three_queries(bob, running):
    assert sees_card(poll(bob, running), running)
    with CaptureQueriesContext(connection) as queries:
        assert sees_card(poll(bob, running), running)
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0].strip('"') for q in queries]
    # the session; the memberships with their team and user; the versions; then the one card
    # that changed (its rows and prefetches), which an unchanged poll does not read
    assert tables[:3] == ["django_session", "accounts_membership", "gallery_generation"]


def test_logging_out_in_another_tab_stops_the_next_poll(member_a, running):
    tab, other_tab = Client(), Client()
    tab.force_login(member_a)
    other_tab.cookies = tab.cookies  # the same browser: one session
    assert sees_card(poll(tab, running), running)
    assert other_tab.post("/accounts/logout/").status_code == 302
    response = poll(tab, running)
    assert sent_to_login(response) and not sees_card(response, running)


def test_a_new_password_signs_out_the_other_sessions_at_once(member_a, running):
    phone, laptop = client_for(member_a), Client()
    laptop.post("/accounts/login/", {"login": "bob@example.com", "password": PASSWORD})
    assert sees_card(poll(phone, running), running) and sees_card(poll(laptop, running), running)
    changed = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a-new-secret-77", "password2": "a-new-secret-77"},
    )
    assert changed.status_code == 302
    assert sent_to_login(poll(phone, running))
    assert sees_card(poll(laptop, running), running)  # the session that changed it stays in


def test_a_deactivated_account_is_signed_out_at_once(bob, member_a, running):
    assert sees_card(poll(bob, running), running)
    member_a.is_active = False
    member_a.save()
    assert sent_to_login(poll(bob, running))


def test_an_expired_session_is_not_accepted(bob, running):
    assert sees_card(poll(bob, running), running)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert sent_to_login(poll(bob, running))


def test_a_removed_member_sees_no_card_on_the_next_poll(bob, member_a, team_a, running):
    assert sees_card(poll(bob, running), running)
    Membership.objects.filter(user=member_a, team=team_a).delete()
    response = poll(bob, running)
    assert response.status_code == 403 and not sees_card(response, running)


def test_a_member_moved_to_another_team_polls_that_team_only(bob, member_a, team_a, team_b):
    mine = make_generation(team_a, member_a, state=State.RUNNING)
    Membership.objects.create(team=team_b, user=member_a, role=Role.MEMBER)
    assert sees_card(poll(bob, mine), mine)
    Membership.objects.filter(user=member_a, team=team_a).delete()
    response = poll(bob, mine)
    assert response.status_code in (200, 286) and not sees_card(response, mine)


def test_a_demoted_member_loses_the_role_on_the_next_request(bob, member_a, team_a):
    assert bob.get("/create/image/").status_code == 200
    assert "You are a viewer" not in bob.get("/create/image/").content.decode()
    Membership.objects.filter(user=member_a).update(role=Role.VIEWER)
    assert "You are a viewer" in bob.get("/create/image/").content.decode()


@pytest.mark.parametrize(
    "old_path",
    [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ],
)
def test_sessions_signed_in_before_the_backends_moved_stay_signed_in(member_a, running, old_path):
    client = client_for(member_a)
    session = client.session
    session[BACKEND_SESSION_KEY] = old_path
    session.save()
    assert sees_card(poll(client, running), running)
    assert client.session[BACKEND_SESSION_KEY].startswith("accounts.backends.")


def test_a_person_without_a_team_still_signs_in(django_user_model):
    client = client_for(make_user("lonely@example.com"))
    assert client.get("/gallery/").status_code == 403  # the "not in a team yet" page


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_plain_sql_memberships_are_the_orms(member_a, team_a, team_b):
    from accounts.backends import memberships_of

    team_b.set_api_key("sk-test-1234")  # encrypted text, dates, booleans, numbers: every type
    team_b.save()
    Membership.objects.create(team=team_b, user=member_a, role=Role.ADMIN)
    member_a.last_login = timezone.now()
    member_a.save()
    ours = memberships_of(member_a.pk)
    orms = list(Membership.objects.filter(user=member_a).select_related("team", "user"))
    assert [m.pk for m in ours] == [m.pk for m in orms] and len(ours) == 2
    for mine, theirs in zip(ours, orms, strict=True):
        assert _fields(mine) == _fields(theirs)
        assert _fields(mine.team) == _fields(theirs.team)
        assert _fields(mine.user) == _fields(theirs.user)
        assert not mine._state.adding and mine.team._state.db == theirs.team._state.db
    assert memberships_of(10**9) == []
