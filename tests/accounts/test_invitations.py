"""Accepting an invitation: joining, never losing a higher role, and using up only that one
invitation."""

from __future__ import annotations

import pytest

from accounts.models import Invitation, Membership, Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _invite(team, owner, role) -> Invitation:
    return Invitation.objects.create(
        team=team, role=role, created_by=owner, expires_at=Invitation.default_expiry()
    )


def test_an_invitation_makes_a_newcomer_a_member_with_its_role(team_a, owner_a):
    newcomer = make_user("nia@example.com")
    membership = _invite(team_a, owner_a, Role.MEMBER).accept(newcomer)
    assert Membership.objects.get(team=team_a, user=newcomer).role == Role.MEMBER
    assert membership.role == Role.MEMBER


def test_an_invitation_with_a_higher_role_raises_an_existing_member(team_a, owner_a, viewer_a):
    _invite(team_a, owner_a, Role.MEMBER).accept(viewer_a)
    assert Membership.objects.get(team=team_a, user=viewer_a).role == Role.MEMBER


def test_an_invitation_with_a_lower_role_never_demotes(team_a, owner_a, member_a):
    Membership.objects.filter(team=team_a, user=member_a).update(role=Role.ADMIN)
    _invite(team_a, owner_a, Role.VIEWER).accept(member_a)
    assert Membership.objects.get(team=team_a, user=member_a).role == Role.ADMIN


def test_accepting_uses_up_only_that_invitation(team_a, owner_a):
    first, second = _invite(team_a, owner_a, Role.MEMBER), _invite(team_a, owner_a, Role.VIEWER)
    newcomer = make_user("nia@example.com")
    first.accept(newcomer)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.accepted_by == newcomer and not first.is_usable
    assert second.accepted_at is None and second.is_usable


def test_a_next_address_over_plain_http_is_refused_on_a_secure_site(alice, team_a):
    """redirect_back: on HTTPS, a `next` pointing at our host over plain HTTP falls back."""
    response = alice.post(
        "/team/switch/", {"team_id": team_a.pk, "next": "http://testserver/gallery/"}, secure=True
    )
    assert response["Location"] == "/"
    response = alice.post(
        "/team/switch/", {"team_id": team_a.pk, "next": "https://testserver/gallery/"}, secure=True
    )
    assert response["Location"] == "https://testserver/gallery/"
