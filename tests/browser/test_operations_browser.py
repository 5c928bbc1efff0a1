"""The operations page in a browser: an admin finds it in the menu, it refreshes itself, its
links lead to the task, and it fits a phone in Chinese (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Membership, Role
from gallery.generation import lanes
from gallery.models import State
from operations import views
from tests.browser.conftest import login
from tests.conftest import PASSWORD, make_user
from tests.factories import make_generation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-fair18")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_admin_watches_the_team_queue_and_opens_a_task_that_needs_review(
    page, team_a, owner_a, member_a, monkeypatch
):
    monkeypatch.setattr(views, "REFRESH_SECONDS", 1)
    review = make_generation(team_a, member_a, state=State.NEEDS_REVIEW, prompt="did it arrive?")
    make_generation(team_a, owner_a, state=State.QUEUED, prompt="waiting one")
    login(page, "alice@example.com", PASSWORD)
    page.click("#site-nav >> text=Operations")
    page.wait_for_url("**/operations/")
    assert page.text_content('[data-stat="waiting"]').strip() == "1"
    shot(page, "desktop-en-admin")

    make_generation(team_a, owner_a, state=State.QUEUED, prompt="another")  # htmx refresh
    expect(page.locator('[data-stat="waiting"]')).to_have_text("2", timeout=10_000)

    page.click(f'[data-attention="{review.pk}"] a')
    page.wait_for_url(f"**/history/**#gen-{review.pk}")
    assert page.locator(f"#gen-{review.pk}").is_visible()


def test_staff_on_a_phone_in_chinese(phone, live_server, team_a, owner_a):
    staff = make_user("sam@example.com", "Sam")
    staff.is_staff = True
    staff.save()
    Membership.objects.create(team=team_a, user=staff, role=Role.ADMIN)
    lanes.beat("worker:web1:4242")
    for n in range(3):
        make_generation(team_a, owner_a, state=State.NEEDS_REVIEW, prompt=f"a long prompt {n} " * 6)
    phone.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
    )
    login(phone, "sam@example.com", PASSWORD)
    phone.goto("/operations/")
    assert "运行状况" in phone.text_content("h1")
    assert phone.locator("[data-ops-site]").is_visible()
    assert "运行中" in phone.text_content("[data-worker]")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    shot(phone, "phone-zh-staff")


def test_a_member_is_refused_and_finds_no_link(page, team_a, member_a):
    login(page, "bob@example.com", PASSWORD)
    assert page.locator("#site-nav >> text=Operations").count() == 0
    response = page.goto("/operations/")
    assert response.status == 403
