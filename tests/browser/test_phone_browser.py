"""On a phone: no page scrolls sideways, the menu opens and closes, and details have a way back."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/create/image/",
    "/create/midjourney/",
    "/create/video/",
    "/history/",
    "/gallery/",
    "/boards/",
    "/assets/",
    "/team/",
    "/team/audit/",
    "/accounts/password/change/",
]


def test_pages_fit_a_phone_and_the_menu_closes_when_tapping_elsewhere(phone, team_a, owner_a):
    item = make_item(make_generation(team_a, owner_a, prompt="a fox on a phone"))
    login(phone, "alice@example.com", PASSWORD)
    for url in [*PAGES, f"/gallery/{item.pk}/"]:
        phone.goto(url)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"

    phone.goto("/")
    nav = phone.locator("#site-nav")
    assert not nav.is_visible()
    phone.tap("[data-nav-toggle]")
    assert nav.is_visible()
    phone.tap("h1")
    assert not nav.is_visible()

    phone.goto(f"/gallery/{item.pk}/")  # a full page on phones, with a way back
    phone.tap("text=← Gallery")
    phone.wait_for_url("**/gallery/")
