"""Changes made at the same moment are each recorded once (PostgreSQL: real row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Invitation, Membership, Role
from audit.models import AuditEvent
from tests.conftest import client_for
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db(transaction=True)


def _in_parallel(n: int, action) -> list:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers anyway)")
    barrier, results = threading.Barrier(n), []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(action(i))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_admins_deleting_the_same_pictures_record_each_picture_once(team_a, owner_a, member_a):
    Membership.objects.filter(user=member_a).update(role=Role.ADMIN)
    generation = make_generation(team_a, owner_a)
    ids = [make_item(generation, index=i).pk for i in range(6)]
    users = [owner_a, member_a, owner_a, member_a]
    _in_parallel(
        4,
        lambda i: (
            client_for(users[i])
            .post("/gallery/selection/", {"do": "delete", "item": ids})
            .status_code
        ),
    )
    recorded = [
        pk for e in AuditEvent.objects.filter(kind="gallery.deleted") for pk in e.after["items"]
    ]
    assert sorted(recorded) == sorted(ids)


def test_revoking_one_invitation_many_times_at_once_records_it_once(team_a, owner_a):
    invitation = Invitation.objects.create(
        team=team_a, role=Role.MEMBER, created_by=owner_a, expires_at=Invitation.default_expiry()
    )
    _in_parallel(
        5,
        lambda i: (
            client_for(owner_a).post(f"/team/invitations/{invitation.pk}/revoke/").status_code
        ),
    )
    assert AuditEvent.objects.filter(kind="invitation.revoked").count() == 1
