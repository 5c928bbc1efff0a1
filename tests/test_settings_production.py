"""Settings: SQLite tuned for two writers at once; production passes check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent(
    """
    import os, sys, time, django
    os.environ["DJANGO_SETTINGS_MODULE"] = "zcheap_site.settings"
    django.setup()
    from django.db import transaction
    from accounts.models import Team
    n, start_at = int(sys.argv[1]), float(sys.argv[2])
    while time.time() < start_at:  # both processes start writing at the same instant
        time.sleep(0.005)
    for _ in range(n):
        # Read-modify-write: with deferred transactions two processes doing this deadlock into
        # "database is locked"; IMMEDIATE mode serialises them and no update is lost.
        with transaction.atomic():
            team = Team.objects.get(name="counter")
            time.sleep(0.001)  # widen the read-to-write window so the two really overlap
            team.base_url = str(int(team.base_url or "0") + 1)
            team.save(update_fields=["base_url"])
    print("ok")
    """
)


def _env(tmp_path: Path, **extra) -> dict:
    # Nothing from the test process's own environment that production would not have.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC"))
    }
    env.update(ZCHEAP_DATA_DIR=str(tmp_path), DATABASE_URL="", PYTHONPATH=str(ROOT), **extra)
    return env


@pytest.mark.slow
def test_sqlite_takes_writes_from_two_processes_at_once(tmp_path):
    env = _env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    setup = "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='zcheap_site.settings';django.setup();from accounts.models import Team;Team.objects.create(name='counter')"
    subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    start_at = str(time.time() + 2.5)
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), "150", start_at],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err
        assert out.strip() == "ok"
    check = "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='zcheap_site.settings';django.setup();from accounts.models import Team;from django.db import connection;c=connection.cursor();c.execute('PRAGMA journal_mode');print(Team.objects.get(name='counter').base_url, c.fetchone()[0])"
    out = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    assert out == ["300", "wal"]


def test_production_settings_pass_check_deploy(tmp_path):
    env = _env(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="x" * 20 + "-production-secret-key-with-enough-entropy-" + "y" * 20,
        ALLOWED_HOSTS="studio.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _env(tmp_path, DEBUG="false", SECRET_KEY="")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_typo_in_a_boolean_setting_fails_loudly(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(tmp_path, DEBUG="ture"),
        capture_output=True,
        text=True,
    )
    assert "DEBUG must be true or false" in result.stderr


def _settings_value(tmp_path: Path, expression: str, **extra) -> str:
    script = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='zcheap_site.settings';"
        f"django.setup();from django.conf import settings;print({expression})"
    )
    env = _env(tmp_path, DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="studio.example.com")
    env.update(DATABASE_URL="postgres://zcheap@127.0.0.1:5432/zcheap", **extra)
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_production_keeps_database_connections_open_between_requests(tmp_path):
    """A new PostgreSQL connection per request made 200 polling tabs 20× slower."""
    db = "settings.DATABASES['default']"
    assert _settings_value(tmp_path, f"{db}['CONN_MAX_AGE'], {db}['CONN_HEALTH_CHECKS']") == (
        "60 True"
    )
    assert _settings_value(tmp_path, f"{db}['CONN_MAX_AGE']", CONN_MAX_AGE="0") == "0"
