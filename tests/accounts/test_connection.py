"""The team page's "Test connection" button, in demo mode and against a real base URL."""

from __future__ import annotations

import pytest

from tests.conftest import HTMX
from zcheap.simulator import SimConfig, running_simulator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _simulator_state(settings, tmp_path):
    settings.ZCHEAP_SIMULATOR_DB = tmp_path / "sim.db"


def test_it_reports_demo_mode_when_the_team_has_no_key(alice):
    response = alice.post("/team/api/test/", **HTMX)
    body = response.content.decode()
    assert "Connected." in body and "simulator answered" in body
    assert "Asset quota: 0 of 500 used." in body


def test_it_calls_the_configured_base_url_with_the_key(alice, team_a, tmp_path, settings):
    with running_simulator(
        SimConfig.fast(state_path=tmp_path / "live.db", valid_keys=("sk-good-key-123",))
    ) as url:
        settings.ZCHEAP_DEV_SIMULATOR_URL = url  # the one loopback base URL allowed (DEBUG)
        team_a.base_url = url
        team_a.set_api_key("sk-good-key-123")
        team_a.save()
        assert "Connected." in alice.post("/team/api/test/", **HTMX).content.decode()

        team_a.set_api_key("sk-wrong-key-999")
        team_a.save()
        body = alice.post("/team/api/test/", **HTMX).content.decode()
    assert "Connection failed." in body
    assert "refused the API key" in body
    assert "sk-wrong-key-999" not in body


def test_it_explains_an_unreachable_base_url(alice, team_a, settings):
    settings.ZCHEAP_DEV_SIMULATOR_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    team_a.base_url = "http://127.0.0.1:9"
    team_a.set_api_key("sk-some-key-1234")
    team_a.save()
    body = alice.post("/team/api/test/", **HTMX).content.decode()
    assert "Connection failed." in body
    assert "could not be reached" in body


def test_members_cannot_test_the_connection(bob):
    assert bob.post("/team/api/test/", **HTMX).status_code == 403
