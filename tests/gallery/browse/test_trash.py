"""The trash: deleted items stay restorable for 30 days by their owner or an admin, then go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from gallery.models import MediaItem
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db


def deleted(team, user, days_ago: float, by=None) -> MediaItem:
    item = make_item(make_generation(team, user))
    MediaItem.objects.filter(pk=item.pk).update(
        deleted_at=timezone.now() - timedelta(days=days_ago), deleted_by=by or user
    )
    return item


def test_members_see_their_own_deleted_items_and_admins_see_all(
    alice, bob, owner_a, member_a, team_a
):
    mine = deleted(team_a, member_a, 1)
    alices = deleted(team_a, owner_a, 1)
    page = bob.get("/gallery/trash/").content.decode()
    assert f"/media/{mine.pk}/small/" in page
    assert f"/media/{alices.pk}/small/" not in page
    page = alice.get("/gallery/trash/").content.decode()
    assert f"/media/{mine.pk}/small/" in page and f"/media/{alices.pk}/small/" in page


def test_viewers_and_outsiders_have_no_trash(vera, olga, member_a, team_a):
    item = deleted(team_a, member_a, 1)
    assert vera.get("/gallery/trash/").status_code == 403
    assert f"/media/{item.pk}/" not in olga.get("/gallery/trash/").content.decode()


def test_restore_works_within_30_days_only(bob, member_a, team_a):
    fresh = deleted(team_a, member_a, 29)
    old = deleted(team_a, member_a, 31)
    bob.post("/gallery/restore/", {"item": [fresh.pk, old.pk], "next": "/gallery/trash/"})
    fresh.refresh_from_db()
    old.refresh_from_db()
    assert fresh.deleted_at is None
    assert old.deleted_at is not None
    assert f"/media/{old.pk}/" not in bob.get("/gallery/trash/").content.decode()


def test_purge_trash_removes_old_items_and_their_files(owner_a, team_a):
    old = deleted(team_a, owner_a, 31)
    recent = deleted(team_a, owner_a, 2)
    storage, name = old.file.storage, old.file.name
    assert storage.exists(name)
    call_command("purge_trash")
    assert not MediaItem.objects.filter(pk=old.pk).exists()
    assert not storage.exists(name)
    assert MediaItem.objects.filter(pk=recent.pk).exists()


def test_something_deleted_a_moment_ago_says_just_now(bob, member_a, team_a):
    deleted(team_a, member_a, 0)
    page = bob.get("/gallery/trash/").content.decode()
    assert "deleted by Bob just now" in page and "0\xa0minutes ago" not in page
    deleted(team_a, member_a, 2)
    assert "2\xa0days ago" in bob.get("/gallery/trash/").content.decode()
