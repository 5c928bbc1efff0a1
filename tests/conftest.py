"""Shared fixtures: personas (healthchecks-style) and test-wide settings.

Team A: owner Alice, member Bob, viewer Vera. Team B: owner Olga (the outsider for team A).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.utils import translation

from accounts.models import Membership, Role, Team, User

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(scope="session", autouse=True)
def _static_files(tmp_path_factory):
    """Collect the static files once per test process into a directory of its own, as a
    deployment does (whitenoise serves STATIC_ROOT and warns when it is missing), so the tests
    run the way production serves and no warning has to be hidden."""
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = str(tmp_path_factory.mktemp("static"))
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _close_file_responses(monkeypatch):
    """Close every file response a test received. A server closes a response once sent; the
    test client leaves that to the test, so a test that only checks a status would leak the
    open file (a ResourceWarning, which fails the run). Closing announces the end of a request,
    which would also close the test's database connection, so that handler is held off, as the
    test client itself does."""
    from django.core.signals import request_finished
    from django.db import close_old_connections
    from django.http import FileResponse

    received = []
    original = FileResponse._set_streaming_content

    def remember(self, value):
        original(self, value)
        received.append(self)

    monkeypatch.setattr(FileResponse, "_set_streaming_content", remember)
    yield
    request_finished.disconnect(close_old_connections)
    try:
        for response in received:
            response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path_factory):
    from gallery.generation import fairness

    fairness._alive_cache = (0.0, 0)  # live workers are counted anew in each test
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    # Each test its own demo simulator (tasks, counters, asset quota): no test sees another's.
    settings.ZCHEAP_SIMULATOR_DB = tmp_path_factory.mktemp("sim") / "state.db"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ZCHEAP_DEMO_MODE = True  # keyless teams use the simulator in tests (off by default)
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()
    caches["listings"].clear()  # filter lists (gallery/browse/listings.py) must not leak
    # A request in Chinese leaves zh-hans active in the thread (LocaleMiddleware never resets
    # it), so a later test on the same xdist worker would read Chinese messages.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def zcheap_accepts_keys(monkeypatch):
    """Saving a key tests it with Zcheap first (accounts/views.py); tests that save keys for
    hosts we cannot serve (zcheap.ai, a made-up public name) get a Zcheap that accepts them.
    The real check runs against the simulator in tests/accounts/test_connection.py."""
    from gallery import generation

    calls = []

    def accept(base_url, api_key):
        calls.append((base_url, api_key))
        return generation.KeyCheck(ok=True)

    monkeypatch.setattr(generation, "verify_key", accept)
    return calls


def make_user(email: str, name: str = "") -> User:
    return User.objects.create_user(email, PASSWORD, display_name=name)


@pytest.fixture
def team_a(db) -> Team:
    return Team.objects.create(name="Team Aurora")


@pytest.fixture
def team_b(db) -> Team:
    return Team.objects.create(name="Team Borealis")


@pytest.fixture
def owner_a(team_a) -> User:
    user = make_user("alice@example.com", "Alice")
    Membership.objects.create(team=team_a, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def member_a(team_a) -> User:
    user = make_user("bob@example.com", "Bob")
    Membership.objects.create(team=team_a, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def viewer_a(team_a) -> User:
    user = make_user("vera@example.com", "Vera")
    Membership.objects.create(team=team_a, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def owner_b(team_b) -> User:
    user = make_user("olga@example.com", "Olga")
    Membership.objects.create(team=team_b, user=user, role=Role.OWNER)
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(owner_a) -> Client:
    return client_for(owner_a)


@pytest.fixture
def bob(member_a) -> Client:
    return client_for(member_a)


@pytest.fixture
def vera(viewer_a) -> Client:
    return client_for(viewer_a)


@pytest.fixture
def olga(owner_b) -> Client:
    return client_for(owner_b)


HTMX = {"HTTP_HX_REQUEST": "true"}


def pytest_collection_modifyitems(config, items):
    """Browser tests run last-ish on their own xdist group to share one Chromium."""
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.xdist_group("browser"))
