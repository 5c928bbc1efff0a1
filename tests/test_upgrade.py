"""Upgrading keeps data and media: a database at the previous release's schema, with a team, an
encrypted API key, members, generations, gallery items and their files in storage, migrated
forward to today's schema (every migration since, including ones added later) still shows the
same team, the same key and the same pictures (CI runs this on SQLite and on PostgreSQL)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from tests.factories import png_bytes, webp_bytes

# The schema of the release before the asset library, the gallery's keyset index and the cached
# filter lists (the oldest one teams still run).
PREVIOUS_RELEASE = [("accounts", "0001_initial"), ("gallery", "0002_worker_loop"), ("assets", None)]


def _migrate(targets) -> object:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_data_and_media_survive_the_upgrade_from_the_previous_release(settings):
    old = _migrate(PREVIOUS_RELEASE)
    from accounts import crypto

    Team, User, Membership = (old.get_model("accounts", m) for m in ("Team", "User", "Membership"))
    Generation, MediaItem = (old.get_model("gallery", m) for m in ("Generation", "MediaItem"))
    team = Team.objects.create(
        name="Old timers", api_key_encrypted=crypto.encrypt("sk-old-release-key-42")
    )
    outsider_team = Team.objects.create(name="Others")
    user = User.objects.create(email="old@example.com", display_name="Old")
    user.password = "md5$salt$" + hashlib.md5(b"saltpw-old-1").hexdigest()  # noqa: S324
    user.save()
    outsider = User.objects.create(email="out@example.com")
    Membership.objects.create(team=team, user=user, role="owner")
    Membership.objects.create(team=outsider_team, user=outsider, role="owner")
    generation = Generation.objects.create(
        team=team,
        user=user,
        kind="image",
        action="generate",
        model="gemini-3-pro-image-preview",
        prompt="an old fox",
        state="done",
        remote_id="img_old_1",
    )
    data = png_bytes()
    names = {
        "file": default_storage.save(f"teams/{team.pk}/media/old/fox.png", ContentFile(data)),
        "thumbnail": default_storage.save(
            f"teams/{team.pk}/thumbs/old/fox.webp", ContentFile(webp_bytes())
        ),
    }
    item = MediaItem.objects.create(
        team=team,
        generation=generation,
        user=user,
        kind="image",
        model=generation.model,
        prompt=generation.prompt,
        media_kind="image",
        index=0,
        content_type="image/png",
        width=64,
        height=48,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        **names,
    )

    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())

    from accounts.models import Team as NowTeam
    from gallery.models import Generation as NowGeneration
    from gallery.models import MediaItem as NowItem

    assert NowTeam.objects.get(pk=team.pk).api_key == "sk-old-release-key-42"
    now_generation = NowGeneration.objects.get(pk=generation.pk)
    assert (now_generation.state, now_generation.prompt, now_generation.remote_id) == (
        "done",
        "an old fox",
        "img_old_1",
    )
    now_item = NowItem.objects.get(pk=item.pk)
    assert now_item.file.name == names["file"]

    from accounts.models import User as NowUser

    member, stranger = Client(), Client()
    member.force_login(NowUser.objects.get(pk=user.pk))
    stranger.force_login(NowUser.objects.get(pk=outsider.pk))
    assert f"/media/{item.pk}/" in member.get("/gallery/").content.decode()
    response = member.get(f"/media/{item.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert member.get(f"/media/{item.pk}/large/").status_code == 200
    assert stranger.get(f"/media/{item.pk}/").status_code == 404
