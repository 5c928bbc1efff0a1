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


# --- Saving a new key: tested with Zcheap before the team switches to it --------------------
GOOD, SPENT = "sk-good-key-123", "sk-spent-key-456"
OLD = "sk-the-old-key-0001"


@pytest.fixture
def live_sim(tmp_path, settings):
    """A loopback Zcheap (the one loopback base URL DEBUG allows) that knows two keys."""
    config = SimConfig.fast(
        state_path=tmp_path / "live.db", valid_keys=(GOOD, SPENT), empty_keys=(SPENT,)
    )
    with running_simulator(config) as url:
        settings.ZCHEAP_DEV_SIMULATOR_URL = url
        yield url


@pytest.fixture(params=["keyed", "demo"])
def before(request, team_a):
    """Both starting points: a live team with its key, and a demo team without one."""
    if request.param == "keyed":
        team_a.set_api_key(OLD)
        team_a.save()
    return request.param


def _unchanged(team_a, before):
    team_a.refresh_from_db()
    assert team_a.base_url == ""
    if before == "keyed":
        assert team_a.api_key == OLD
    else:
        assert team_a.api_key_encrypted == "" and team_a.demo_mode


def test_a_good_key_is_checked_and_the_team_goes_live(alice, team_a, live_sim):
    response = alice.post("/team/api/", {"api_key": GOOD, "base_url": live_sim}, follow=True)
    page = response.content.decode()
    assert "checked with Zcheap and saved" in page and GOOD not in page
    team_a.refresh_from_db()
    assert team_a.api_key == GOOD and team_a.base_url == live_sim and not team_a.demo_mode


def test_a_wrong_key_is_refused_and_the_old_state_kept(alice, team_a, live_sim, before):
    response = alice.post("/team/api/", {"api_key": "sk-wrong-key-999", "base_url": live_sim})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Zcheap did not accept this API key" in page and "Nothing was changed" in page
    assert "sk-wrong-key-999" not in page and OLD not in page
    _unchanged(team_a, before)


def test_a_key_with_no_balance_left_is_refused(alice, team_a, live_sim, before):
    response = alice.post("/team/api/", {"api_key": SPENT, "base_url": live_sim})
    page = response.content.decode()
    assert response.status_code == 400
    assert "no balance left" in page and SPENT not in page
    _unchanged(team_a, before)


def test_a_base_url_where_nothing_answers_is_refused(alice, team_a, settings, before):
    settings.ZCHEAP_DEV_SIMULATOR_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    response = alice.post("/team/api/", {"api_key": GOOD, "base_url": "http://127.0.0.1:9"})
    assert response.status_code == 400
    assert "could not be reached" in response.content.decode()
    _unchanged(team_a, before)


def test_a_base_url_not_allowed_is_refused_without_a_request(
    alice, team_a, before, zcheap_accepts_keys
):
    response = alice.post("/team/api/", {"api_key": GOOD, "base_url": "https://127.0.0.1:6379"})
    assert response.status_code == 400
    assert "must be a public internet address" in response.content.decode()
    assert zcheap_accepts_keys == []  # the address rules refuse it before any key check
    _unchanged(team_a, before)


def test_the_zh_hans_reason_is_translated(alice, team_a, live_sim):
    alice.cookies["django_language"] = "zh-hans"
    response = alice.post("/team/api/", {"api_key": "sk-wrong-key-999", "base_url": live_sim})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Zcheap did not accept" not in page and "Zcheap" in page


def test_a_gateway_without_billing_routes_is_checked_with_the_asset_quota(
    alice, team_a, live_sim, monkeypatch
):
    from zcheap import errors as e
    from zcheap.client import ZcheapClient

    def no_billing(self):
        raise e.NotFoundError("Invalid URL (GET /v1/dashboard/billing/subscription)")

    monkeypatch.setattr(ZcheapClient, "billing_subscription", no_billing)
    assert alice.post("/team/api/", {"api_key": GOOD, "base_url": live_sim}).status_code == 302
    bad = alice.post("/team/api/", {"api_key": "sk-wrong-key-999", "base_url": live_sim})
    assert bad.status_code == 400 and "did not accept" in bad.content.decode()
    team_a.refresh_from_db()
    assert team_a.api_key == GOOD


def test_removing_the_key_or_keeping_it_sends_nothing(alice, team_a, zcheap_accepts_keys):
    team_a.set_api_key(OLD)
    team_a.save()
    alice.post("/team/api/", {"api_key": "", "base_url": ""})
    alice.post("/team/api/", {"clear_api_key": "on", "api_key": GOOD})
    assert zcheap_accepts_keys == []
    team_a.refresh_from_db()
    assert team_a.demo_mode
