"""Attacks through "Add a person directly" and team creation (issue 11, item 6): pulling an
existing account into a team without consent, probing which e-mails have accounts, and anyone
starting teams."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client

from accounts.models import Invitation, Membership, Team, User
from tests.conftest import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


def _add(client, email: str, password: str = "chosen-pass-8812"):
    return client.post(
        "/team/members/",
        {"email": email, "role": "member", "password1": password, "password2": password},
    )


def test_adding_an_existing_account_invites_it_instead_of_pulling_it_in(alice, owner_b, team_a):
    """The attack: Alice adds Olga's address; Olga landed in Alice's team on her next login."""
    _add(alice, "olga@example.com")
    assert not Membership.objects.filter(team=team_a, user=owner_b).exists()
    olga = Client()
    olga.post("/accounts/login/", {"login": "olga@example.com", "password": PASSWORD})
    assert "Team Borealis" in olga.get("/").content.decode()  # still in her own team
    # She got the link by e-mail, and sees it on her team page; joining is her choice.
    link = re.search(r"http://testserver(/invite/\S+/)", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == ["olga@example.com"]
    assert "Team Aurora invites you" in olga.get("/team/").content.decode()
    olga.post(link)
    assert Membership.objects.filter(team=team_a, user=owner_b).exists()
    # The admin's password did not replace hers.
    owner_b.refresh_from_db()
    assert owner_b.check_password(PASSWORD)


def test_only_the_addressed_account_can_accept(alice, owner_b, member_a, team_a):
    _add(alice, "olga@example.com")
    invitation = Invitation.objects.get(email="olga@example.com")
    stranger = client_for(make_user("mallory@example.com"))
    assert stranger.post(f"/invite/{invitation.token}/").status_code == 403
    anonymous = Client().post(
        f"/invite/{invitation.token}/",
        {"email": "m2@example.com", "password1": "a-long-pass-77", "password2": "a-long-pass-77"},
    )
    assert anonymous.status_code == 200 and not User.objects.filter(email="m2@example.com")
    assert not Membership.objects.filter(team=team_a, user__email="mallory@example.com")
    invitation.refresh_from_db()
    assert invitation.is_usable


def _answer(admin, email: str, **kwargs) -> tuple[int, list[str], str]:
    response = _add(client_for(admin), email, **kwargs)
    said = [str(m).replace(email, "EMAIL") for m in get_messages(response.wsgi_request)]
    form = ""
    if response.status_code != 302:  # the form, as shown again with its errors
        page = response.content.decode().replace(email, "EMAIL")
        form = page.split('id="add-title"')[1].split("</section>")[0]
        form = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", form)
    return response.status_code, said, form


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account(owner_a, owner_b):
    assert _answer(owner_a, "olga@example.com") == _answer(owner_a, "nobody-yet@example.com")
    # Without a password too (the old form said "A new account needs a password" only for new).
    olga_again = _answer(owner_a, "olga@example.com", password="")
    fresh = _answer(owner_a, "fresh@example.com", password="")
    assert olga_again[0] == fresh[0] == 400
    assert olga_again == fresh


def test_team_creation_can_be_kept_to_staff(settings, owner_a, alice):
    settings.TEAM_CREATION = "staff"
    response = alice.post("/team/new/", {"name": "Side project"})
    assert response.status_code == 403
    assert not Team.objects.filter(name="Side project").exists()
    assert "Start another team" not in alice.get("/team/").content.decode()
    owner_a.is_staff = True
    owner_a.save()
    assert alice.post("/team/new/", {"name": "Side project"}).status_code == 302
    assert Team.objects.filter(name="Side project").exists()


def test_anyone_may_create_a_team_when_allowed(settings, olga):
    settings.TEAM_CREATION = "anyone"
    assert olga.post("/team/new/", {"name": "Olga's second"}).status_code == 302
    assert Team.objects.filter(name="Olga's second").exists()
