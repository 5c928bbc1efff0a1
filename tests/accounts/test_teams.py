"""Teams: switching, roles, API key handling, invitations, direct member creation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, Team, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_switches_between_my_teams(alice, owner_a, team_b):
    Membership.objects.create(team=team_b, user=owner_a, role=Role.VIEWER)
    assert "Team Aurora" in alice.get("/").content.decode()
    response = alice.post("/team/switch/", {"team_id": team_b.pk, "next": "/team/"})
    assert response["Location"] == "/team/"
    page = alice.get("/team/").content.decode()
    assert "<h1>Team Borealis</h1>" in page


def test_it_refuses_to_switch_into_someone_elses_team(olga, team_a):
    assert olga.post("/team/switch/", {"team_id": team_a.pk}).status_code == 404


def test_it_ignores_an_offsite_next_url_when_switching(alice, team_a):
    response = alice.post("/team/switch/", {"team_id": team_a.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_it_stores_the_api_key_encrypted_and_never_shows_it(alice, team_a, zcheap_accepts_keys):
    key = "sk-live-0123456789abcdef"
    alice.post("/team/api/", {"api_key": key, "base_url": "https://zcheap.ai/"})
    team_a.refresh_from_db()
    assert team_a.api_key == key
    assert key not in team_a.api_key_encrypted
    assert team_a.base_url == "https://zcheap.ai"
    page = alice.get("/team/").content.decode()
    assert key not in page
    assert "sk-…cdef" in page
    assert "Demo mode" not in page


def test_it_keeps_the_key_when_the_field_is_left_empty(alice, team_a):
    team_a.set_api_key("sk-keep-me-12345678")
    team_a.save()
    alice.post("/team/api/", {"api_key": "", "base_url": ""})
    team_a.refresh_from_db()
    assert team_a.api_key == "sk-keep-me-12345678"


def test_it_clears_the_key_into_demo_mode(alice, team_a):
    team_a.set_api_key("sk-some-key-1234567")
    team_a.save()
    alice.post("/team/api/", {"clear_api_key": "on"})
    team_a.refresh_from_db()
    assert team_a.demo_mode
    assert "Demo mode" in alice.get("/").content.decode()


def test_it_rejects_a_bad_base_url_with_a_message(alice, team_a):
    response = alice.post("/team/api/", {"base_url": "ftp://nope"})
    assert response.status_code == 400
    assert "Enter a valid URL" in response.content.decode()


def test_it_forbids_members_and_viewers_to_change_settings(bob, vera, team_a):
    for client in (bob, vera):
        assert client.post("/team/api/", {"api_key": "sk-abcdefgh12345"}).status_code == 403
        assert client.post("/team/rename/", {"name": "Mine"}).status_code == 403
        assert (
            client.post("/team/invitations/", {"role": "admin", "expires_in_days": 7}).status_code
            == 403
        )
    team_a.refresh_from_db()
    assert team_a.demo_mode and team_a.name == "Team Aurora"


def test_it_lets_a_new_person_join_through_an_invitation(alice, team_a):
    alice.post("/team/invitations/", {"role": "member", "expires_in_days": 7})
    invitation = Invitation.objects.get(team=team_a)
    newcomer = Client()
    page = newcomer.get(f"/invite/{invitation.token}/")
    assert "Join Team Aurora" in page.content.decode()
    response = newcomer.post(
        f"/invite/{invitation.token}/",
        {"email": "nina@example.com", "password1": "a-long-pass-77", "password2": "a-long-pass-77"},
    )
    assert response.status_code == 302
    nina = User.objects.get(email="nina@example.com")
    assert Membership.objects.get(user=nina).role == Role.MEMBER
    assert "Team Aurora" in newcomer.get("/").content.decode()
    # The link is single-use.
    assert Client().get(f"/invite/{invitation.token}/").status_code == 410


def test_it_lets_a_logged_in_person_accept_an_invitation(olga, owner_b, team_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.VIEWER, expires_at=Invitation.default_expiry()
    )
    olga.post(f"/invite/{invitation.token}/")
    assert Membership.objects.get(team=team_a, user=owner_b).role == Role.VIEWER


def test_it_refuses_expired_and_revoked_invitations(alice, team_a):
    expired = Invitation.objects.create(
        team=team_a, role=Role.MEMBER, expires_at=timezone.now() - timedelta(minutes=1)
    )
    revoked = Invitation.objects.create(
        team=team_a, role=Role.MEMBER, expires_at=Invitation.default_expiry()
    )
    alice.post(f"/team/invitations/{revoked.pk}/revoke/")
    for invitation in (expired, revoked):
        response = Client().post(
            f"/invite/{invitation.token}/",
            {
                "email": "x@example.com",
                "password1": "a-long-pass-77",
                "password2": "a-long-pass-77",
            },
        )
        assert response.status_code == 410
    assert not User.objects.filter(email="x@example.com").exists()


def test_it_does_not_let_an_admin_invite_an_owner(alice, owner_a, team_a):
    admin = User.objects.create_user("adam@example.com", PASSWORD)
    Membership.objects.create(team=team_a, user=admin, role=Role.ADMIN)
    client = Client()
    client.force_login(admin)
    response = client.post("/team/invitations/", {"role": "owner", "expires_in_days": 7})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_it_keeps_at_least_one_owner(alice, owner_a, team_a):
    mine = Membership.objects.get(user=owner_a)
    # The owner cannot demote themself through the UI (no form), and not through a crafted POST.
    alice.post(f"/team/members/{mine.pk}/role/", {"role": "member"})
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_it_changes_roles_and_removes_members(alice, member_a, team_a):
    bob_membership = Membership.objects.get(user=member_a)
    alice.post(f"/team/members/{bob_membership.pk}/role/", {"role": "viewer"})
    bob_membership.refresh_from_db()
    assert bob_membership.role == Role.VIEWER
    alice.post(f"/team/members/{bob_membership.pk}/remove/")
    assert not Membership.objects.filter(pk=bob_membership.pk).exists()


def test_it_lets_an_admin_create_an_account_that_joins_on_accepting(alice, team_a):
    response = alice.post(
        "/team/members/",
        {
            "email": "Carl@Example.com",
            "role": "viewer",
            "password1": "carl-pass-991",
            "password2": "carl-pass-991",
        },
    )
    assert response.status_code == 302
    carl = User.objects.get(email="carl@example.com")
    assert carl.check_password("carl-pass-991")
    assert not Membership.objects.filter(user=carl).exists()  # not before saying yes
    carl_client = Client()
    carl_client.post("/accounts/login/", {"login": "carl@example.com", "password": "carl-pass-991"})
    page = carl_client.get("/").content.decode()
    assert "Team Aurora invites you as Viewer." in page
    invitation = Invitation.objects.get(email="carl@example.com")
    assert carl_client.post(f"/invite/{invitation.token}/").status_code == 302
    assert Membership.objects.get(user=carl).role == Role.VIEWER


def test_it_explains_a_password_mismatch_when_creating_an_account(alice):
    response = alice.post(
        "/team/members/",
        {
            "email": "d@example.com",
            "role": "member",
            "password1": "abc-pass-991",
            "password2": "other-991x",
        },
    )
    assert response.status_code == 400
    assert "do not match" in response.content.decode()


def test_createteam_is_idempotent(capsys, db):
    call_command("createteam", "Studio", "--owner", "o@example.com", "--password", "pw-123456789")
    call_command(
        "createteam",
        "Studio",
        "--owner",
        "o@example.com",
        "--password",
        "pw-123456789",
        "--api-key",
        "sk-abcdef123456",
        "--base-url",
        "https://zcheap.ai",
    )
    out = capsys.readouterr().out
    assert "created team 'Studio'" in out and "team 'Studio' exists" in out
    team = Team.objects.get(name="Studio")
    assert team.api_key == "sk-abcdef123456" and not team.demo_mode
    assert Membership.objects.filter(team=team).count() == 1


def test_invitation_statuses_are_capitalised_like_the_other_cells(alice, team_a, owner_a):
    Invitation.objects.create(team=team_a, role=Role.MEMBER, expires_at=Invitation.default_expiry())
    page = alice.get("/team/").content.decode()
    assert "<td>Open</td>" in page and "<td>open</td>" not in page
