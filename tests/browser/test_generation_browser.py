"""In a real browser, in demo mode: an image, an MJ imagine then U2 and zoom, a video; the cards
progress to done without reloading, and the video plays."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DONE = 30_000


def newest_card(page, count_before: int):
    # A locator wait, not wait_for_function: the page's CSP forbids evaluating strings.
    page.locator("#cards article").nth(count_before).wait_for()
    return page.locator("#cards article").first


def test_a_person_creates_images_mj_actions_and_a_video(page, owner_a, background_worker):
    login(page, "alice@example.com", PASSWORD)

    page.goto("/create/image/")
    page.fill("textarea[name=prompt]", "a red fox in snow")
    page.select_option("select[name=aspect_ratio]", "16:9")
    page.click("#create-form button[type=submit]")
    card = newest_card(page, 0)
    card.locator(".badge-ok").wait_for(timeout=DONE)  # no reload: the poller updated the card
    assert card.locator(".results img").count() == 1
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1

    page.goto("/create/midjourney/")
    page.fill("textarea[name=prompt]", "a lighthouse")
    page.select_option("select[name=ar]", "3:2")
    assert page.inner_text("[data-mj-final]") == "a lighthouse --ar 3:2"
    page.click("#create-form button[type=submit]")
    grid = newest_card(page, 0)
    grid.locator(".badge-ok").wait_for(timeout=DONE)
    assert grid.locator(".results img").count() == 4

    grid.locator("summary", has_text="Midjourney actions").click()
    grid.locator(".mj-pick label", has_text="2").click()  # pick the picture, then the action
    grid.locator(".mj-actions button[value='upscale:2']").click()
    upscale = newest_card(page, 1)
    assert "Upscale #2" in upscale.locator(".card-kind").inner_text()
    upscale.locator(".badge-ok").wait_for(timeout=DONE)
    assert upscale.locator(".results img").count() == 1

    upscale.locator("summary", has_text="Midjourney actions").click()
    upscale.locator("button[value='zoom:1:2']").click()
    zoom = newest_card(page, 2)
    assert "Zoom out" in zoom.locator(".card-kind").inner_text()
    zoom.locator(".badge-ok").wait_for(timeout=DONE)
    assert zoom.locator(".results img").count() == 4

    page.goto("/create/video/")
    page.fill("textarea[name=prompt]", "a tea cup, slow dolly-in")
    page.select_option("select[name=duration]", "4")
    page.select_option("select[name=resolution]", "480p")
    page.click("#create-form button[type=submit]")
    video_card = newest_card(page, 0)
    video_card.locator(".badge-ok").wait_for(timeout=DONE)
    video = video_card.locator("video")
    duration = video.evaluate(
        "v => new Promise(done => v.readyState >= 1 ? done(v.duration)"
        " : v.addEventListener('loadedmetadata', () => done(v.duration)))"
    )
    assert duration > 3
    assert video.get_attribute("poster")


def test_a_failure_shows_a_clear_card_with_the_upstream_text(page, owner_a, background_worker):
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.fill("textarea[name=prompt]", "forbidden [sim:moderation]")
    page.click("#create-form button[type=submit]")
    card = newest_card(page, 0)
    card.locator(".badge-err").wait_for(timeout=DONE)
    assert "content review" in card.locator(".card-error").inner_text()
    card.locator("summary", has_text="Details from Zcheap").click()
    assert "moderation" in card.locator(".card-error pre").inner_text()


def test_the_reference_count_survives_an_htmx_form_swap(page, owner_a, background_worker):
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    count = page.locator("[data-ref-count]")
    assert count.inner_text() == "No references yet (they are optional)."
    page.fill("textarea[name=prompt]", "a fox")
    page.click("#create-form button[type=submit]")
    newest_card(page, 0)
    page.fill(
        "textarea[name=reference_urls]", "https://example.com/a.png\nhttps://example.com/b.png"
    )
    assert page.locator("[data-ref-count]").inner_text() == "References to send: 2"


def test_shapes_sizes_and_resolutions_follow_the_chosen_model(page, owner_a):
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.select_option("select[name=aspect_ratio]", "1:1")
    page.check("input[name=model][value='gemini-3-pro-image-preview']")
    ratios = page.locator("select[name=aspect_ratio] option:not([disabled])")
    assert "8:1" not in [ratios.nth(i).get_attribute("value") for i in range(ratios.count())]
    assert page.locator("select[name=size] option[value='512px']").is_disabled()
    page.check("input[name=model][value='gemini-3.1-flash-image-preview']")
    assert page.locator("select[name=aspect_ratio] option[value='8:1']").is_enabled()

    page.goto("/create/video/")
    page.select_option("select[name=resolution]", "1080p")
    page.check("input[name=model][value='ima-pro-fast']")
    assert page.locator("select[name=resolution]").input_value() == "720p"
    assert page.locator("select[name=resolution] option[value='1080p']").is_disabled()
    assert page.locator("select[name=resolution] option[value='480p']").is_enabled()


def test_a_remix_card_shows_the_new_prompt_and_says_what_zcheap_did(
    page, owner_a, background_worker
):
    """Issue 13 bug 2 and issue 10 point 3: the remix card keeps the prompt the person wrote
    (card, gallery search); a pan Zcheap did not apply says so on the card."""
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/midjourney/")
    page.fill("textarea[name=prompt]", "a lighthouse [sim:four-urls]")
    page.click("#create-form button[type=submit]")
    grid = newest_card(page, 0)
    grid.locator(".badge-ok").wait_for(timeout=DONE)
    grid = page.locator(f"#{grid.get_attribute('id')}")  # stays on the grid as cards are added

    grid.locator("summary", has_text="Midjourney actions").click()
    grid.locator("summary", has_text="Custom zoom, remix").click()
    grid.locator(".mj-remix textarea").fill("a windmill at dusk")
    grid.locator(".mj-remix button[type=submit]").click()
    remix = newest_card(page, 1)
    assert remix.locator(".card-prompt").inner_text() == "a windmill at dusk"
    remix.locator(".badge-ok").wait_for(timeout=DONE)
    assert "not your new one" in remix.locator("[data-action-check]").inner_text()

    if not grid.locator("button[value='pan:1:left']").is_visible():
        grid.locator("summary", has_text="Midjourney actions").click()
    grid.locator("button[value='pan:1:left']").click()
    pan = newest_card(page, 2)
    pan.locator(".badge-ok").wait_for(timeout=DONE)
    assert "direction you chose" in pan.locator("[data-action-check]").inner_text()

    page.goto("/gallery/")
    page.fill("#q", "windmill")  # search finds the remix by the prompt the person wrote
    expect(page.locator(".tile-item")).to_have_count(4)
    assert page.url.endswith("/gallery/?q=windmill")
