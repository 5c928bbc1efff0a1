"""Every security- or money-relevant change leaves one audit event: who, what, before/after.

One test per code path, so removing a record() call fails a test here.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

import audit
from accounts.models import Invitation, Membership, Role, Team
from assets.models import Asset, AssetGroup
from audit.models import AuditEvent
from gallery.models import MediaItem
from tests.conftest import PASSWORD, client_for, make_user
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db

KEY = "sk-live-secret-key-4242"


def only(kind: str, team=None) -> AuditEvent:
    events = AuditEvent.objects.filter(kind=kind)
    if team is not None:
        events = events.filter(team=team)
    assert events.count() == 1, list(AuditEvent.objects.values_list("kind", flat=True))
    return events.get()


def no_secret_anywhere(secret: str) -> None:
    for event in AuditEvent.objects.all():
        assert secret not in repr((event.target, event.before, event.after))


# Team settings ------------------------------------------------------------------------------


def test_renaming_the_team(alice, owner_a, team_a):
    alice.post("/team/rename/", {"name": "Aurora Studio"})
    event = only("team.renamed")
    assert event.actor == owner_a and event.team == team_a
    assert event.before == {"name": "Team Aurora"} and event.after == {"name": "Aurora Studio"}
    assert event.ip == "127.0.0.1"


def test_setting_changing_and_removing_the_api_key_records_only_its_mask(
    alice, team_a, zcheap_accepts_keys
):
    alice.post("/team/api/", {"api_key": KEY, "base_url": ""})
    event = only("api_key.set")
    assert event.before is None and event.after == {"key": "sk-…4242"}
    alice.post("/team/api/", {"api_key": "sk-live-other-key-9999", "base_url": ""})
    event = only("api_key.changed")
    assert event.before == {"key": "sk-…4242"} and event.after == {"key": "sk-…9999"}
    alice.post("/team/api/", {"api_key": "", "clear_api_key": "on", "base_url": ""})
    event = only("api_key.removed")
    assert event.before == {"key": "sk-…9999"} and event.after is None
    no_secret_anywhere(KEY)
    no_secret_anywhere("sk-live-other-key-9999")


def test_saving_the_same_settings_again_records_nothing(alice, team_a, zcheap_accepts_keys):
    alice.post("/team/api/", {"api_key": KEY, "base_url": ""})
    alice.post("/team/api/", {"api_key": KEY, "base_url": ""})
    alice.post("/team/api/", {"api_key": "", "base_url": ""})
    assert list(AuditEvent.objects.values_list("kind", flat=True)) == ["api_key.set"]


def test_changing_the_base_url(alice, team_a, settings):
    alice.post("/team/api/", {"api_key": "", "base_url": settings.ZCHEAP_BASE_URL})
    event = only("base_url.changed")
    assert event.before == {"base_url": ""}
    assert event.after == {"base_url": settings.ZCHEAP_BASE_URL.rstrip("/")}


def test_a_refused_change_records_nothing(alice, team_a, monkeypatch):
    from gallery import generation

    refuse = generation.KeyCheck(ok=False, reason="wrong_key", message="Zcheap said no.")
    monkeypatch.setattr(generation, "verify_key", lambda base_url, api_key: refuse)
    alice.post("/team/api/", {"api_key": "short", "base_url": ""})
    alice.post("/team/api/", {"api_key": "sk-refused-by-zcheap-1", "base_url": ""})
    alice.post("/team/rename/", {"name": ""})
    assert not AuditEvent.objects.exists()


def test_starting_a_team(alice, owner_a):
    alice.post("/team/new/", {"name": "Second team"})
    event = only("team.created")
    assert event.team.name == "Second team" and event.actor == owner_a


# Members and roles --------------------------------------------------------------------------


def test_changing_a_role(alice, owner_a, member_a, team_a):
    membership = Membership.objects.get(user=member_a)
    alice.post(f"/team/members/{membership.pk}/role/", {"role": Role.ADMIN})
    event = only("role.changed")
    assert (event.actor, event.target) == (owner_a, "bob@example.com")
    assert event.before == {"role": "member"} and event.after == {"role": "admin"}


def test_a_demotion_says_how_many_of_their_invitations_it_revoked(alice, member_a, team_a):
    membership = Membership.objects.get(user=member_a)
    membership.role = Role.ADMIN
    membership.save()
    Invitation.objects.create(
        team=team_a, role=Role.ADMIN, created_by=member_a, expires_at=Invitation.default_expiry()
    )
    alice.post(f"/team/members/{membership.pk}/role/", {"role": Role.MEMBER})
    assert only("role.changed").after == {"role": "member", "invitations_revoked": 1}


def test_a_role_change_that_is_refused_or_changes_nothing_records_nothing(
    alice, bob, member_a, owner_a
):
    membership = Membership.objects.get(user=member_a)
    alice.post(f"/team/members/{membership.pk}/role/", {"role": Role.MEMBER})
    own = Membership.objects.get(user=owner_a)
    alice.post(f"/team/members/{own.pk}/role/", {"role": Role.MEMBER})  # the last owner
    assert not AuditEvent.objects.filter(kind="role.changed").exists()


def test_the_record_is_part_of_the_change(alice, member_a, monkeypatch):
    """A record that fails takes the change back with it: no change goes unrecorded."""

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    membership = Membership.objects.get(user=member_a)
    alice.raise_request_exception = False
    response = alice.post(f"/team/members/{membership.pk}/role/", {"role": Role.ADMIN})
    assert response.status_code == 500
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_removing_a_member(alice, member_a, team_a):
    membership = Membership.objects.get(user=member_a)
    alice.post(f"/team/members/{membership.pk}/remove/")
    event = only("member.removed")
    assert event.target == "bob@example.com" and event.before == {"role": "member"}


def test_adding_a_person_by_email_says_nothing_about_their_account(alice, owner_a, team_a):
    alice.post(
        "/team/members/",
        {
            "email": "New.Person@example.com",
            "display_name": "Nia",
            "role": Role.VIEWER,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    event = only("member.invited")
    assert event.target == "new.person@example.com" and event.after["role"] == "viewer"
    assert "account" not in repr(event.after)
    no_secret_anywhere(PASSWORD)


# Invitations --------------------------------------------------------------------------------


def test_creating_and_revoking_an_invitation(alice, owner_a, team_a):
    alice.post("/team/invitations/", {"role": Role.MEMBER, "email": "", "expires_in_days": 7})
    invitation = Invitation.objects.get()
    event = only("invitation.created")
    assert event.target == f"#{invitation.pk}" and event.after["role"] == "member"
    assert invitation.token not in repr((event.target, event.after))
    alice.post(f"/team/invitations/{invitation.pk}/revoke/")
    alice.post(f"/team/invitations/{invitation.pk}/revoke/")  # twice: one event
    assert only("invitation.revoked").before == {"role": "member"}


def test_accepting_an_invitation_with_an_account(team_a, owner_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.MEMBER, created_by=owner_a, expires_at=Invitation.default_expiry()
    )
    newcomer = make_user("nico@example.com")
    client_for(newcomer).post(f"/invite/{invitation.token}/")
    event = only("invitation.accepted")
    assert event.actor == newcomer and event.team == team_a
    assert event.after == {
        "role": "member",
        "invitation": f"#{invitation.pk}",
        "invited_by": "alice@example.com",
    }


def test_accepting_an_invitation_by_signing_up(team_a, owner_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.VIEWER, created_by=owner_a, expires_at=Invitation.default_expiry()
    )
    Client().post(
        f"/invite/{invitation.token}/",
        {"email": "sam@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    event = only("invitation.accepted")
    assert event.actor.email == "sam@example.com" and event.after["role"] == "viewer"


def test_an_invitation_that_cannot_be_used_records_nothing(team_a, owner_a, member_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.ADMIN, created_by=owner_a, expires_at=Invitation.default_expiry()
    )
    client_for(member_a).post(f"/invite/{invitation.token}/")  # already in the team
    assert not AuditEvent.objects.filter(kind="invitation.accepted").exists()


# Gallery ------------------------------------------------------------------------------------


def _items(team, user, n):
    generation = make_generation(team, user)
    return [make_item(generation, index=i) for i in range(n)]


def test_deleting_one_item(bob, member_a, team_a):
    (item,) = _items(team_a, member_a, 1)
    bob.post(f"/gallery/{item.pk}/delete/")
    event = only("gallery.deleted")
    assert event.actor == member_a and event.after == {"count": 1, "items": [item.pk]}


def test_bulk_deleting_records_what_was_deleted_only(bob, member_a, owner_a, team_a):
    mine = _items(team_a, member_a, 3)
    (alices,) = _items(team_a, owner_a, 1)
    bob.post("/gallery/selection/", {"do": "delete", "item": [i.pk for i in [*mine, alices]]})
    event = only("gallery.deleted")
    assert event.after["count"] == 3
    assert sorted(event.after["items"]) == sorted(i.pk for i in mine)


def test_restoring_from_the_trash(bob, member_a, team_a):
    items = _items(team_a, member_a, 2)
    bob.post("/gallery/selection/", {"do": "delete", "item": [i.pk for i in items]})
    bob.post("/gallery/restore/", {"item": [i.pk for i in items]})
    event = only("gallery.restored")
    assert event.after["count"] == 2 and event.actor == member_a
    assert MediaItem.objects.filter(deleted_at__isnull=True).count() == 2


def test_purging_the_trash_records_per_team_as_the_system(team_a, owner_a, team_b, owner_b):
    old = timezone.now() - timedelta(days=MediaItem.TRASH_DAYS + 1)
    a_items = _items(team_a, owner_a, 2)
    b_items = _items(team_b, owner_b, 1)
    recent = _items(team_a, owner_a, 1)
    MediaItem.objects.filter(pk__in=[i.pk for i in a_items + b_items]).update(deleted_at=old)
    MediaItem.objects.filter(pk__in=[i.pk for i in recent]).update(deleted_at=timezone.now())
    call_command("purge_trash", stdout=io.StringIO())
    a_event, b_event = only("gallery.purged", team_a), only("gallery.purged", team_b)
    assert a_event.actor is None and a_event.actor_label == "purge_trash"
    assert sorted(a_event.after["items"]) == sorted(i.pk for i in a_items)
    assert b_event.after["items"] == [b_items[0].pk]
    assert MediaItem.objects.filter(pk=recent[0].pk).exists()


def test_deleting_a_board_records_what_it_was(bob, alice, member_a, owner_a, team_a):
    from gallery.models import Board, BoardItem

    board = Board.objects.create(team=team_a, owner=member_a, name="Spring picks", shared=True)
    for item in _items(team_a, member_a, 2):
        BoardItem.objects.create(board=board, item=item)
    alice.post(f"/boards/{board.pk}/delete/")  # an admin deletes a member's shared board
    event = only("board.deleted")
    assert event.actor == owner_a and event.target == "Spring picks"
    assert event.before == {"owner": "bob@example.com", "shared": True, "smart": False, "items": 2}
    assert not Board.objects.exists() and MediaItem.objects.count() == 2
    page = alice.get("/team/audit/?kind=board.deleted").content.decode()
    assert "Board deleted" in page and "Spring picks" in page
    chinese = alice.get("/team/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "画板已删除" in chinese


def test_a_board_delete_that_is_refused_records_nothing(alice, bob, owner_a, team_a):
    from gallery.models import Board

    board = Board.objects.create(team=team_a, owner=owner_a, name="Shared", shared=True)
    assert bob.post(f"/boards/{board.pk}/delete/").status_code == 404  # not his board
    assert not AuditEvent.objects.filter(kind="board.deleted").exists()


# Assets, commands, the admin site -----------------------------------------------------------


def test_deleting_an_asset(alice, owner_a, team_a):
    group = AssetGroup.objects.create(team=team_a, remote_id="g-1", name="Cast")
    asset = Asset.objects.create(team=team_a, group=group, remote_id="gone-upstream", name="Hero")
    alice.post(f"/assets/items/{asset.pk}/delete/")
    event = only("asset.deleted")
    assert event.target == "Hero" and event.before == {
        "group": "Cast",
        "remote_id": "gone-upstream",
    }


def test_rotating_the_encryption_key_records_each_team_without_the_key(settings):
    settings.FIELD_ENCRYPTION_KEY, settings.FIELD_ENCRYPTION_OLD_KEYS = "first-key", []
    team = Team.objects.create(name="Keys")
    team.set_api_key(KEY)
    team.save()
    settings.FIELD_ENCRYPTION_KEY, settings.FIELD_ENCRYPTION_OLD_KEYS = "second-key", ["first-key"]
    call_command("rotate_encryption_key", stdout=io.StringIO())
    event = only("api_key.rotated")
    assert event.team == team and event.actor_label == "rotate_encryption_key"
    assert event.after == {"key": "sk-…4242"}
    no_secret_anywhere(KEY)


def test_createteam_records_what_it_set_up():
    out = io.StringIO()
    call_command(
        "createteam", "Scripted", "--owner", "ops@example.com", "--password", PASSWORD,
        "--api-key", KEY, stdout=out,
    )  # fmt: skip
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert kinds == {"team.created", "api_key.set", "member.added"}
    assert set(AuditEvent.objects.values_list("actor_label", flat=True)) == {"createteam"}
    no_secret_anywhere(KEY)
    call_command(
        "createteam", "Scripted", "--owner", "ops@example.com", "--password", PASSWORD,
        "--api-key", KEY, stdout=out,
    )  # fmt: skip
    assert AuditEvent.objects.count() == 3  # nothing changed the second time


@pytest.fixture
def admin_client(db):
    from accounts.models import User

    User.objects.create_superuser("root@example.com", PASSWORD)
    client = Client()
    client.login(email="root@example.com", password=PASSWORD)
    return client


def _team_form(team, *, name=None, base_url="", roles=None, delete=()):
    memberships = list(team.memberships.order_by("pk"))
    data = {
        "name": name or team.name,
        "base_url": base_url,
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(memberships):
        data |= {
            f"memberships-{i}-id": str(m.pk),
            f"memberships-{i}-team": str(team.pk),
            f"memberships-{i}-user": str(m.user_id),
            f"memberships-{i}-role": (roles or {}).get(m.user, m.role),
        }
        if m.user in delete:
            data[f"memberships-{i}-DELETE"] = "on"
    return data


def test_a_role_changed_on_the_admin_site_is_recorded(admin_client, team_a, owner_a, member_a):
    data = _team_form(team_a, roles={member_a: Role.ADMIN})
    response = admin_client.post(f"/admin/accounts/team/{team_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    event = only("role.changed")
    assert event.target == "bob@example.com" and event.actor.email == "root@example.com"
    assert event.before == {"role": "member"} and event.after == {"role": "admin"}


def test_name_base_url_and_removals_on_the_admin_site_are_recorded(
    admin_client, team_a, owner_a, member_a, settings
):
    url = settings.ZCHEAP_BASE_URL
    data = _team_form(team_a, name="Renamed", base_url=url, delete=[member_a])
    response = admin_client.post(f"/admin/accounts/team/{team_a.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert only("team.renamed").after == {"name": "Renamed"}
    assert only("base_url.changed").after == {"base_url": url}
    assert only("member.removed").target == "bob@example.com"


def test_an_invitation_changed_on_the_admin_site_is_recorded(admin_client, team_a, owner_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.MEMBER, created_by=owner_a, expires_at=Invitation.default_expiry()
    )
    expires = timezone.localtime(invitation.expires_at)
    response = admin_client.post(
        f"/admin/accounts/invitation/{invitation.pk}/change/",
        {
            "team": team_a.pk,
            "email": "",
            "role": Role.OWNER,
            "created_by": owner_a.pk,
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = only("invitation.changed")
    assert event.before == {"role": "member"} and event.after == {"role": "owner"}
