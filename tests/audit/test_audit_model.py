"""The audit log is append-only: an entry, once written, cannot be changed from the app."""

from __future__ import annotations

import pytest

import audit
from audit.models import AuditEvent


def test_record_keeps_who_what_and_before_after(team_a, owner_a):
    event = audit.record(
        team_a,
        owner_a,
        "role.changed",
        "bob@example.com",
        before={"role": "member"},
        after={"role": "admin"},
    )
    event.refresh_from_db()
    assert (event.actor_label, event.kind, event.target) == (
        owner_a.email,
        "role.changed",
        "bob@example.com",
    )
    assert event.before == {"role": "member"} and event.after == {"role": "admin"}


def test_entries_cannot_be_edited(team_a, owner_a):
    event = audit.record(team_a, owner_a, "api_key.set")
    event.kind = "nothing.happened"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(kind="nothing.happened")
    assert AuditEvent.objects.get(pk=event.pk).kind == "api_key.set"


def test_the_system_can_be_the_actor(team_a):
    event = audit.record(team_a, None, "budget.reset")
    assert event.actor is None and event.actor_label == ""


def test_entries_cannot_be_deleted_but_leave_with_their_team(team_a, owner_a):
    event = audit.record(team_a, owner_a, "api_key.set")
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    team_a.delete()  # a deleted team takes its log along
    assert not AuditEvent.objects.exists()


def test_the_admin_site_shows_entries_read_only(team_a, owner_a):
    from django.test import Client

    from accounts.models import User
    from tests.conftest import PASSWORD

    event = audit.record(team_a, owner_a, "role.changed", "bob@example.com")
    User.objects.create_superuser("root@example.com", PASSWORD)
    admin = Client()
    admin.login(email="root@example.com", password=PASSWORD)
    assert "bob@example.com" in admin.get("/admin/audit/auditevent/").content.decode()
    change_url = f"/admin/audit/auditevent/{event.pk}/change/"
    assert admin.get(change_url).status_code == 200  # view only
    assert admin.post(change_url, {"kind": "nothing", "target": "x"}).status_code == 403
    assert admin.get("/admin/audit/auditevent/add/").status_code == 403
    assert (
        admin.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    bulk = admin.post(
        "/admin/audit/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    event.refresh_from_db()
    assert event.kind == "role.changed" and event.target == "bob@example.com"
