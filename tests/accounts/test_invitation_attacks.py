"""Attacks on invitations (issue 11, items 1 and 5): an admin taking ownership through an owner
invitation, and many people racing to use one single-use link."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.test import Client

from accounts.models import Invitation, Membership, Role, User
from tests.conftest import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(team_a):
    user = make_user("adam@example.com", "Adam")
    Membership.objects.create(team=team_a, user=user, role=Role.ADMIN)
    return user


def _owner_invitation(alice, team_a) -> Invitation:
    response = alice.post("/team/invitations/", {"role": "owner", "expires_in_days": 7})
    assert response.status_code == 302
    return Invitation.objects.get(team=team_a, role=Role.OWNER)


def test_an_admin_never_sees_an_owner_invitation_link(alice, admin_a, team_a):
    invitation = _owner_invitation(alice, team_a)
    assert invitation.token in alice.get("/team/").content.decode()  # the owner does
    page = client_for(admin_a).get("/team/").content.decode()
    assert invitation.token not in page
    assert "Owner" not in page.split('id="invitations-title"')[1]


def test_an_admin_cannot_revoke_an_owner_invitation(alice, admin_a, team_a):
    invitation = _owner_invitation(alice, team_a)
    response = client_for(admin_a).post(f"/team/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_an_admin_accepting_an_owner_invitation_stays_admin(alice, admin_a, owner_a, team_a):
    """The attack: the admin opens the owner link, becomes owner, then removes the real owner."""
    invitation = _owner_invitation(alice, team_a)
    adam = client_for(admin_a)
    response = adam.post(f"/invite/{invitation.token}/", follow=True)
    assert "did not change that" in response.content.decode()
    assert Membership.objects.get(team=team_a, user=admin_a).role == Role.ADMIN
    owner = Membership.objects.get(team=team_a, user=owner_a)
    adam.post(f"/team/members/{owner.pk}/remove/")
    assert Membership.objects.filter(pk=owner.pk, role=Role.OWNER).exists()
    # The invitation is still there for the person it was meant for.
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_accepting_an_invitation_never_lowers_a_members_role(alice, owner_a, team_a):
    viewer_invitation = Invitation.objects.create(
        team=team_a, role=Role.VIEWER, expires_at=Invitation.default_expiry()
    )
    alice.post(f"/invite/{viewer_invitation.token}/")
    assert Membership.objects.get(team=team_a, user=owner_a).role == Role.OWNER


def test_an_admin_cannot_make_anyone_owner_by_any_form(admin_a, member_a, team_a):
    adam = client_for(admin_a)
    bob = Membership.objects.get(user=member_a)
    mine = Membership.objects.get(user=admin_a)
    adam.post(f"/team/members/{bob.pk}/role/", {"role": "owner"})
    adam.post(f"/team/members/{mine.pk}/role/", {"role": "owner"})
    adam.post("/team/invitations/", {"role": "owner", "expires_in_days": 7})
    adam.post(
        "/team/members/",
        {
            "email": "eve@example.com",
            "role": "owner",
            "password1": "eve-pass-9911",
            "password2": "eve-pass-9911",
        },
    )
    assert not Membership.objects.filter(team=team_a, role=Role.OWNER).exists()
    assert not Invitation.objects.filter(role=Role.OWNER).exists()


def test_a_demoted_admins_invitations_cannot_hand_out_more_than_they_hold(alice, admin_a, team_a):
    adam = client_for(admin_a)
    adam.post("/team/invitations/", {"role": "admin", "expires_in_days": 7})
    adam.post("/team/invitations/", {"role": "member", "expires_in_days": 7})
    admin_link = Invitation.objects.get(role=Role.ADMIN)
    member_link = Invitation.objects.get(role=Role.MEMBER)
    mine = Membership.objects.get(user=admin_a)
    alice.post(f"/team/members/{mine.pk}/role/", {"role": "member"})
    sock_puppet = client_for(make_user("puppet@example.com"))
    assert sock_puppet.post(f"/invite/{admin_link.token}/").status_code == 410
    assert not Membership.objects.filter(user__email="puppet@example.com").exists()
    member_link.refresh_from_db()
    assert member_link.is_usable  # what they may still give stays valid
    alice.post(f"/team/members/{mine.pk}/remove/")
    member_link.refresh_from_db()
    assert not member_link.is_usable


# --- Races: one single-use link, many people at once ------------------------------------------


def _in_parallel(count: int, action) -> list:
    """Run ACTION(i) in COUNT threads released together; each thread has its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(i)
        except Exception as error:  # reported below, not swallowed
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# These run on both databases: SQLite (IMMEDIATE transactions) reproduced the race too, 12 of 12.
@pytest.mark.django_db(transaction=True)
def test_twelve_parallel_signups_on_one_link_make_one_member(team_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.MEMBER, expires_at=Invitation.default_expiry()
    )

    def sign_up(i: int) -> int:
        return (
            Client()
            .post(
                f"/invite/{invitation.token}/",
                {
                    "email": f"racer{i}@example.com",
                    "password1": "a-long-pass-77",
                    "password2": "a-long-pass-77",
                },
            )
            .status_code
        )

    statuses = _in_parallel(12, sign_up)
    assert sorted(statuses) == [302] + [410] * 11, statuses
    assert Membership.objects.filter(team=team_a).count() == 1
    # The losers' accounts were not left behind.
    assert User.objects.filter(email__startswith="racer").count() == 1


@pytest.mark.django_db(transaction=True)
def test_eight_people_accepting_one_admin_invitation_make_one_admin(team_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.ADMIN, expires_at=Invitation.default_expiry()
    )
    people = [User.objects.create_user(f"p{i}@example.com", PASSWORD) for i in range(8)]
    clients = [client_for(person) for person in people]

    statuses = _in_parallel(
        8, lambda i: clients[i].post(f"/invite/{invitation.token}/").status_code
    )
    assert sorted(statuses) == [302] + [410] * 7, statuses
    assert Membership.objects.filter(team=team_a, role=Role.ADMIN).count() == 1
