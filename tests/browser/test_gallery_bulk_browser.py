"""Gallery multi-select: shift-click ranges, select all, and bulk actions without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gallery.models import MediaItem
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shift_click_select_all_and_delete_without_a_reload(page, owner_a, team_a):
    for n in range(6):
        make_item(make_generation(team_a, owner_a, prompt=f"fox {n}"))
    login(page, "alice@example.com", PASSWORD)
    page.goto("/gallery/")
    boxes = page.locator(".tile-check input")
    page.locator(".tile-item").nth(0).hover()
    boxes.nth(0).check()
    page.locator(".tile-item").nth(3).hover()
    boxes.nth(3).click(modifiers=["Shift"])
    expect(page.locator(".tile-check input:checked")).to_have_count(4)
    assert page.inner_text("[data-selected-count]") == "4 selected"

    page.click("[data-bulk-action][value=delete]")
    page.locator("#messages", has_text="Deleted 4.").wait_for()
    expect(page.locator(".tile-item")).to_have_count(2)
    assert MediaItem.objects.filter(deleted_at__isnull=False).count() == 4
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    expect(page.locator(".tile-check input:checked")).to_have_count(0)

    page.locator(".tile-item").nth(0).hover()
    boxes.nth(0).check()
    page.click("[data-select-all]")
    expect(page.locator(".tile-check input:checked")).to_have_count(2)
    page.fill("#bulk-form input[name=new_board]", "Keepers")
    page.click("[data-bulk-action][value=board]")
    page.locator("#messages", has_text="Added 2 to Keepers.").wait_for()
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    page.locator("#messages form button", has_text="Undo").first.click()  # undo the delete
    page.wait_for_load_state()
    expect(page.locator(".tile-item")).to_have_count(6)


def test_a_deleted_picture_comes_back_from_the_trash(page, owner_a, team_a):
    item = make_item(make_generation(team_a, owner_a, prompt="a fox to keep"))
    login(page, "alice@example.com", PASSWORD)
    page.goto(f"/gallery/{item.pk}/")
    page.on("dialog", lambda d: d.accept())
    page.click("button:has-text('Delete')")
    page.wait_for_url("**/gallery/")
    page.click("text=Trash")
    page.check(f"input[name=item][value='{item.pk}']")
    page.click("text=Restore the ticked ones")
    page.locator("#messages", has_text="Restored 1.").wait_for()
    item.refresh_from_db()
    assert item.deleted_at is None
