"""Login rate limits behind a proxy (issue 11, item 9): counted per client and per account, in a
cache every web process shares. Before, every request seemed to come from the proxy, so 50 wrong
passwords from one person locked everyone out; and each process counted on its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"  # every request reaches Django from here
TOO_MANY = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def _login(email: str, password: str, client_address: str, forwarded: str = ""):
    header = f"{forwarded}, {client_address}" if forwarded else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header).post(
        "/accounts/login/", {"login": email, "password": password}
    )


def _hammer(address: str, times: int = 12, forged=lambda i: "") -> None:
    for i in range(times):
        _login(f"guess{i}@example.com", "wrong-password", address, forged(i))


def test_a_brute_force_behind_the_proxy_does_not_lock_out_everyone(owner_a, member_a):
    _hammer("203.0.113.66")
    assert _login("alice@example.com", PASSWORD, "198.51.100.7").status_code == 302
    assert _login("bob@example.com", PASSWORD, "198.51.100.8").status_code == 302


def test_the_attacker_is_still_limited_even_with_a_forged_forwarded_for(owner_a):
    # The client writes whatever it likes left of what our proxy appended.
    _hammer("203.0.113.66", forged=lambda i: f"192.0.2.{i}")
    response = _login("alice@example.com", PASSWORD, "203.0.113.66", forwarded="192.0.2.200")
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()


def test_one_account_is_limited_across_addresses(owner_a):
    for i in range(5):
        _login("alice@example.com", "wrong-password", f"203.0.113.{i + 1}")
    response = _login("alice@example.com", "wrong-password", "203.0.113.99")
    assert TOO_MANY in response.content.decode()


def test_without_a_trusted_proxy_the_header_is_ignored(settings, owner_a):
    settings.TRUSTED_PROXY_COUNT = 0  # the header could be anyone's: count REMOTE_ADDR
    _hammer("203.0.113.66", forged=lambda i: f"192.0.2.{i}")
    response = _login("alice@example.com", PASSWORD, "198.51.100.7")
    assert TOO_MANY in response.content.decode()


def _production(tmp_path: Path, **extra) -> dict:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC"))
    }
    env.update(
        ZCHEAP_DATA_DIR=str(tmp_path),
        DATABASE_URL="",
        PYTHONPATH=str(ROOT),
        DEBUG="false",
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="studio.example.com",
        **extra,
    )
    return env


def _python(code: str, env: dict) -> str:
    setup = "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='zcheap_site.settings';"
    return subprocess.run(
        [sys.executable, "-c", setup + "django.setup();" + code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.mark.slow
def test_production_counts_in_a_cache_every_process_shares(tmp_path):
    env = _production(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    _python("from django.core.cache import cache;cache.set('failed-logins', 7, 60)", env)
    seen = _python("from django.core.cache import cache;print(cache.get('failed-logins'))", env)
    assert seen == "7"  # another process saw the count


def test_production_can_use_redis_for_the_cache(tmp_path):
    code = "from django.conf import settings;print(settings.CACHES['default']['BACKEND'])"
    backend = _python(code, _production(tmp_path, CACHE_URL="redis://127.0.0.1:6379/3"))
    assert backend.endswith("RedisCache")
