"""The gallery in a real browser: scroll, filter, lightbox with arrow keys, favourite, board, reuse."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gallery.models import Board, Favourite, Kind
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_history_restores(page) -> None:
    """Count htmx history restores: a restore re-renders the grid, dropping ticked items and
    typed text. htmx starts one (from its cache, or a "cache miss" request) inside the popstate
    dispatch, which happens in the same task as the address change, so once the address has
    changed the count is final: no guessed wait needed."""
    page.evaluate(
        """() => {
        window.__historyRestores = 0;
        for (const name of ["htmx:historyRestore", "htmx:historyCacheMiss"]) {
          document.addEventListener(name, () => { window.__historyRestores += 1; });
        }
      }"""
    )


def test_a_person_finds_looks_at_and_reuses_a_result(page, team_a, owner_a):
    generation = make_generation(
        team_a, owner_a, prompt="a fox in snow", params={"aspect_ratio": "3:2", "size": "2K"}
    )
    for i in range(70):
        make_item(generation, i)
    owl = make_item(
        make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="an owl at night")
    )
    login(page, "alice@example.com", PASSWORD)
    page.goto("/gallery/")
    tiles = page.locator(".tile-item")
    assert tiles.count() == 60
    page.locator(".grid-more").scroll_into_view_if_needed()
    expect(tiles).to_have_count(71)

    page.fill("#q", "owl")
    expect(tiles).to_have_count(1)
    assert page.url.endswith("/gallery/?q=owl")  # the filter is in the URL: shareable, back works
    page.locator(".tile-item").nth(0).hover()
    page.locator(".tile-check input").nth(0).check()  # a selection survives the lightbox

    page.click(f'a[href="/gallery/{owl.pk}/"]')
    dialog = page.locator("#lightbox")
    dialog.locator("[data-detail]").wait_for()
    assert "an owl at night" in dialog.inner_text()
    assert page.url.endswith(f"/gallery/{owl.pk}/")  # the address can be shared
    dialog.locator("button", has_text="Add to favourites").click()
    dialog.locator("button[aria-pressed=true]").wait_for()
    assert Favourite.objects.filter(user=owner_a, item=owl).exists()
    page.keyboard.press("ArrowRight")  # older item
    dialog.locator("text=a fox in snow").first.wait_for()
    watch_history_restores(page)
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    page.wait_for_url("**/gallery/?q=owl")  # closing goes back to the filtered grid
    assert page.evaluate("window.__historyRestores") == 0  # htmx did not re-render the grid
    assert page.locator(".tile-check input").nth(0).is_checked()
    assert page.input_value("#q") == "owl"
    page.keyboard.press("ArrowRight")  # the closed lightbox's item must not steer the arrows
    assert page.url.endswith("/gallery/?q=owl")
    page.locator(".tile-check input").nth(0).uncheck()

    page.go_back()
    tiles.nth(59).wait_for()
    fox = page.locator(".tile-item a").nth(1)
    fox.click()
    dialog.locator("[data-detail]").wait_for()
    dialog.locator("input[name=new_board]").fill("Foxes")
    dialog.locator(".board-form button").click()
    dialog.locator(".board-form", has_text="Added to Foxes.").wait_for()  # still in the lightbox
    assert Board.objects.get(name="Foxes").items.count() == 1
    dialog.locator("[data-lightbox-close]").click()
    assert not dialog.is_visible()
    page.wait_for_url("**/gallery/")

    page.goto("/gallery/")
    bar = page.locator(".bulk-bar")
    assert not bar.is_visible()
    page.locator(".tile-item").nth(0).hover()
    page.locator(".tile-check input").nth(0).check()
    page.locator(".tile-item").nth(1).hover()
    page.locator(".tile-check input").nth(1).check()
    assert bar.is_visible() and "2 selected" in bar.inner_text()
    bar.locator("input[name=new_board]").fill("Pair")
    bar.locator("button[value=board]").click()
    page.locator(".message", has_text="Added 2 to Pair").wait_for()

    page.goto(f"/gallery/{generation.items.first().pk}/")
    page.click("text=Reuse settings")
    page.wait_for_url("**/create/image/?from=*")
    assert page.input_value("textarea[name=prompt]") == "a fox in snow"
    assert page.input_value("select[name=aspect_ratio]") == "3:2"
    assert page.input_value("select[name=size]") == "2K"
