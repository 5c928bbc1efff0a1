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
