"""A person logs in through the real page, switches language and team, logs out."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Role
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_switches_language_and_team(page, owner_a, team_b):
    Membership.objects.create(team=team_b, user=owner_a, role=Role.MEMBER)
    login(page, "alice@example.com", PASSWORD)
    assert page.locator("h1").inner_text() == "Hello, Alice"
    assert page.locator(".demo-banner").is_visible()

    page.select_option("#lang-switch", "zh-hans")
    page.wait_for_load_state("load")
    page.locator("h1", has_text="你好").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    page.select_option("#team-switch", str(team_b.pk))
    page.locator(".message", has_text="Team Borealis").wait_for()
    assert "Team Borealis" in page.title()
    # The deferred app.js hooks the selects up only once the page has loaded; a change made
    # before that submits nothing (CI caught this under load).
    page.wait_for_load_state("load")

    page.select_option("#lang-switch", "en")
    page.locator("h1", has_text="Hello").wait_for()
    page.click(".user-menu summary")
    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/**")


def test_it_works_on_a_phone_sized_screen(page, owner_a):
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, "alice@example.com", PASSWORD)
    nav = page.locator("#site-nav")
    assert not nav.is_visible()
    page.click("[data-nav-toggle]")
    assert nav.is_visible()
    page.click("#site-nav >> text=Team")
    page.wait_for_url("**/team/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the team page must not scroll sideways on a phone"
