"""Accepting an invitation: joining with its role, never changing an existing member's role,
using up only that one invitation; and where a form's `next` may send someone."""

from __future__ import annotations

import pytest

from accounts.models import AlreadyMember, Invitation, Membership, Role
from accounts.permissions import redirect_back
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


@pytest.mark.parametrize("invited_as", [Role.VIEWER, Role.MEMBER, Role.ADMIN])
def test_an_invitation_never_changes_an_existing_members_role(
    team_a, owner_a, member_a, invited_as
):
    invitation = _invite(team_a, owner_a, invited_as)
    with pytest.raises(AlreadyMember):
        invitation.accept(member_a)
    assert Membership.objects.get(team=team_a, user=member_a).role == Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.is_usable  # still open for the person it was meant for


def test_accepting_uses_up_only_that_invitation(team_a, owner_a):
    first, second = _invite(team_a, owner_a, Role.MEMBER), _invite(team_a, owner_a, Role.VIEWER)
    newcomer = make_user("nia@example.com")
    first.accept(newcomer)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.accepted_by == newcomer and not first.is_usable
    assert second.accepted_at is None and second.is_usable


@pytest.mark.parametrize(
    ("next_url", "secure", "lands_on"),
    [
        ("/gallery/", True, "/gallery/"),
        ("//testserver/gallery/", True, "/"),  # read as plain HTTP by a browser on HTTPS
        ("//testserver/gallery/", False, "//testserver/gallery/"),
        ("https://evil.example/", False, "/"),
        ("gallery", False, "/"),  # not a path
        ("", False, "/"),
    ],
)
def test_redirect_back_follows_next_only_to_this_site(rf, next_url, secure, lands_on):
    request = rf.post("/x/", {"next": next_url}, secure=secure)
    assert redirect_back(request, "/")["Location"] == lands_on
