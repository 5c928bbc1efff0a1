"""Rotating FIELD_ENCRYPTION_KEY (or SECRET_KEY, which it follows by default) keeps the teams'
stored API keys: the previous key still reads them, and `rotate_encryption_key` moves them to
the new one so the old key can go."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Team

pytestmark = pytest.mark.django_db


def _team_with_key(settings, key: str) -> Team:
    settings.FIELD_ENCRYPTION_KEY, settings.FIELD_ENCRYPTION_OLD_KEYS = key, []
    team = Team.objects.create(name="Keys")
    team.set_api_key("sk-live-123456789")
    team.save()
    return team


def _stored(team: Team) -> str:
    return Team.objects.get(pk=team.pk).api_key


def test_a_new_key_with_the_old_one_listed_still_reads_and_rotation_moves_it(settings):
    team = _team_with_key(settings, "first-key")
    settings.FIELD_ENCRYPTION_KEY = "second-key"
    assert _stored(team) == ""  # without the old key listed the secret is unreadable
    settings.FIELD_ENCRYPTION_OLD_KEYS = ["first-key"]
    assert _stored(team) == "sk-live-123456789"

    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "re-encrypted 1 API key(s); 0 unreadable" in out.getvalue()
    settings.FIELD_ENCRYPTION_OLD_KEYS = []  # the old key is dropped
    assert _stored(team) == "sk-live-123456789"
    call_command("rotate_encryption_key", stdout=out)  # idempotent
    assert "re-encrypted 0 API key(s)" in out.getvalue()


def test_rotating_secret_key_keeps_api_keys_when_the_field_key_follows_it(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    base.update(
        ZCHEAP_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        FIELD_ENCRYPTION_KEY="",
        FIELD_ENCRYPTION_OLD_KEYS="",
    )

    def run(script: str, **env) -> str:
        code = (
            "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='zcheap_site.settings';"
            "django.setup();from accounts.models import Team;" + script
        )
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**base, **env},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=root,
        env={**base, "SECRET_KEY": "old-secret"},
        check=True,
    )
    run(
        "t=Team.objects.create(name='K');t.set_api_key('sk-abcdefghij');t.save()",
        SECRET_KEY="old-secret",
    )
    read = "print(Team.objects.get(name='K').api_key or 'LOST')"
    assert run(read, SECRET_KEY="new-secret") == "LOST"
    assert run(read, SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS="old-secret") == "sk-abcdefghij"
    subprocess.run(
        [sys.executable, "manage.py", "rotate_encryption_key"],
        cwd=root,
        env={**base, "SECRET_KEY": "new-secret", "SECRET_KEY_FALLBACKS": "old-secret"},
        check=True,
        capture_output=True,
    )
    assert run(read, SECRET_KEY="new-secret") == "sk-abcdefghij"


def test_a_secret_no_key_reads_is_reported_and_left_alone(settings):
    team = _team_with_key(settings, "lost-key")
    before = Team.objects.get(pk=team.pk).api_key_encrypted
    settings.FIELD_ENCRYPTION_KEY = "another-key"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("rotate_encryption_key", stdout=io.StringIO(), stderr=err)
    assert "no configured key reads it" in err.getvalue()
    assert Team.objects.get(pk=team.pk).api_key_encrypted == before
