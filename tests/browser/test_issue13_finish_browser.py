"""Issue 13, the last friction items, as a person meets them in Chromium: a new API key is tried
before the team goes live, uncertain failures say where to check, the Midjourney actions are a
compact menu on the picture picked, upscales are large, vary region comes back to the card, and
phone checkboxes have names and leave badges visible."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gallery.models import Generation, Kind, MediaItem, State
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item
from zcheap.simulator import SimConfig, running_simulator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD, GOOD = "sk-the-old-key-0001", "sk-good-key-0002"


def mj_grid(team, user, prompt="a lighthouse on a cliff"):
    grid = make_generation(team, user, kind=Kind.MIDJOURNEY, prompt=prompt)
    for i in range(4):
        make_item(grid, i)
    return grid


def test_a_wrong_key_is_refused_with_the_reason_and_a_good_one_goes_live(
    page, owner_a, team_a, settings, tmp_path
):
    team_a.set_api_key(OLD)
    team_a.save()
    config = SimConfig.fast(state_path=tmp_path / "live.db", valid_keys=(GOOD,))
    with running_simulator(config) as url:
        settings.ZCHEAP_DEV_SIMULATOR_URL = url
        login(page, "alice@example.com", PASSWORD)
        page.goto("/team/")
        page.fill("#id_api_key", "sk-wrong-key-0003")
        page.fill("#id_base_url", url)
        page.click("#api button:has-text('Save connection')")
        error = page.locator("#api .errorlist")
        expect(error).to_contain_text("Zcheap did not accept this API key")
        expect(error).to_contain_text("keeps its current key (sk-…0001)")
        assert "sk-wrong-key-0003" not in page.content()
        assert page.input_value("#id_api_key") == ""  # never shown back
        team_a.refresh_from_db()
        assert team_a.api_key == OLD and team_a.base_url == ""

        page.fill("#id_api_key", GOOD)
        page.fill("#id_base_url", url)
        page.click("#api button:has-text('Save connection')")
        expect(page.locator("#messages")).to_contain_text("checked with Zcheap and saved")
        expect(page.locator("#api .facts")).to_contain_text("sk-…0002")
        assert GOOD not in page.content()
    team_a.refresh_from_db()
    assert team_a.api_key == GOOD


def test_an_uncertain_failure_says_where_to_check_and_the_task_id_copies(page, owner_a, team_a):
    team_a.set_api_key(OLD)
    team_a.save()
    review = make_generation(
        team_a,
        owner_a,
        state=State.NEEDS_REVIEW,
        remote_id="task_Ab12Cd34Ef56",
        error_message="We could not tell whether Zcheap received this request.",
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    check = page.locator(f"#gen-{review.pk} [data-where-to-check]")
    expect(check).to_contain_text("Where to check")
    link = check.get_by_role("link", name="Open the Zcheap usage log")
    assert link.get_attribute("href") == "https://zcheap.ai/console/log"
    task_id = check.get_by_label("Zcheap task id")
    assert task_id.input_value() == "task_Ab12Cd34Ef56"
    check.get_by_role("button", name="Copy").click()
    expect(check.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "task_Ab12Cd34Ef56"


def test_stop_waiting_after_sending_says_it_may_still_be_charged(page, owner_a, team_a):
    running = make_generation(team_a, owner_a, state=State.RUNNING, remote_id="r-7")
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    page.on("dialog", lambda d: d.accept())
    page.locator(f"#gen-{running.pk} button", has_text="Stop waiting").click()
    card = page.locator(f"#gen-{running.pk}")
    expect(card.locator(".badge")).to_have_text("Cancelled")
    expect(card).to_contain_text("Zcheap may still make it and charge for it")
    expect(card).to_contain_text("Demo mode: nothing is charged")  # this team has no key


def test_mj_actions_are_a_compact_menu_for_the_picture_picked(page, owner_a, team_a):
    grid = mj_grid(team_a, owner_a)
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/midjourney/")
    card = page.locator(f"#gen-{grid.pk}")
    card.locator("summary", has_text="Midjourney actions").click()
    menu = card.locator("[data-mj-menu]")
    visible = menu.locator("button:visible, a.btn:visible")
    assert visible.count() <= 12, visible.all_inner_texts()  # not forty buttons
    card.locator(".mj-pick label", has_text="3").click()
    # The picked picture's row shows (expect waits for the script that switches rows).
    expect(menu.locator("button[value='upscale:3']")).to_be_visible()
    expect(menu.locator("button[value='upscale:1']")).to_be_hidden()
    expect(card.locator(".mj-custom select[name=index]")).to_have_value("3")
    menu.get_by_role("button", name="Upscale #3").click()
    page.locator("#cards article .card-kind", has_text="Upscale #3").wait_for()
    assert Generation.objects.get(action="upscale").parent_index == 3


def test_an_upscale_is_shown_large(page, owner_a, team_a):
    grid = mj_grid(team_a, owner_a)
    upscale = make_generation(
        team_a,
        owner_a,
        kind=Kind.MIDJOURNEY,
        action="upscale",
        parent=grid,
        parent_index=2,
        prompt=grid.prompt,
    )
    make_item(upscale)
    for n in range(3):
        make_generation(team_a, owner_a, prompt=f"fox {n}")
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    listing = page.locator("#history-list .cards").bounding_box()
    large = page.locator(f"#gen-{upscale.pk}").bounding_box()
    other = page.locator(f"#gen-{grid.pk}").bounding_box()
    assert large["width"] > 0.95 * listing["width"]  # the whole row, not one column
    assert other["width"] < 0.5 * listing["width"]


def test_after_vary_region_you_are_back_at_the_card(page, owner_a, team_a):
    grid = mj_grid(team_a, owner_a)
    for n in range(8):  # enough cards that the new one is not simply at the top
        make_generation(team_a, owner_a, prompt=f"filler {n}")
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    card = page.locator(f"#gen-{grid.pk}")
    card.locator("summary", has_text="Midjourney actions").click()
    card.locator(".mj-pick label", has_text="2").click()
    card.get_by_role("link", name="Vary region").click()
    page.wait_for_url(re.compile(rf"/tasks/{grid.pk}/mj/region/2/\?next=/history/$"))
    expect(page.locator("[data-mask-brush]")).to_be_visible()
    canvas = page.locator("[data-mask-canvas]").bounding_box()
    page.mouse.move(canvas["x"] + 20, canvas["y"] + 20)
    page.mouse.down()
    page.mouse.move(canvas["x"] + 80, canvas["y"] + 60)
    page.mouse.up()
    page.fill("textarea[name=remix_prompt]", "a red door")
    page.click("form button[type=submit]:has-text('Vary region')")
    page.wait_for_url(re.compile(r"/history/#gen-\d+$"))
    child = Generation.objects.get(action="inpaint")
    assert page.url.endswith(f"/history/#gen-{child.pk}")
    expect(page.locator(f"#gen-{child.pk}")).to_be_in_viewport()
    assert page.inner_text(f"#gen-{child.pk} .card-prompt") == "a red door"  # bug 2
    assert page.evaluate("document.querySelector(':target').id") == f"gen-{child.pk}"


ON_TOP = """(el) => {
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return el === hit || el.contains(hit);
}"""


def test_phone_checkboxes_have_names_and_cover_no_picture_number(phone, owner_a, team_a):
    grid = mj_grid(team_a, owner_a)
    fox = make_item(make_generation(team_a, owner_a, prompt="a fox in the snow"))
    gone = make_item(make_generation(team_a, owner_a, prompt="an old owl"))
    MediaItem.objects.filter(pk=gone.pk).update(deleted_at=timezone.now(), deleted_by=owner_a)
    login(phone, "alice@example.com", PASSWORD)

    phone.goto("/history/")
    numbers = phone.locator(f"#gen-{grid.pk} .result-n")
    assert numbers.count() == 4
    for number in numbers.all():  # U/V sit on the picture; its number stays in sight
        number.scroll_into_view_if_needed()
        assert number.evaluate(ON_TOP), number.inner_text()

    phone.goto("/gallery/")
    box = phone.get_by_role("checkbox", name="Select: a fox in the snow")
    expect(box).to_be_visible()
    assert phone.locator(f"[data-item='{fox.pk}'] .tile-check").evaluate(ON_TOP)

    phone.goto("/gallery/trash/")
    expect(phone.get_by_role("checkbox", name="Select: an old owl")).to_be_visible()


def test_edit_and_retry_of_a_video_keeps_its_first_and_last_frame(page, owner_a, team_a, tmp_path):
    """Bug 3, video: Edit & retry kept no uploaded first/last frames."""
    from tests.factories import png_bytes

    first, last = tmp_path / "dawn.png", tmp_path / "dusk.png"
    first.write_bytes(png_bytes())
    last.write_bytes(png_bytes())
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/video/")
    page.fill("textarea[name=prompt]", "from dawn to dusk")
    page.check("input[name=role_mode][value=frame]")
    page.set_input_files("input[name=reference_files]", [str(first), str(last)])
    page.click("#create-form button[type=submit]")
    page.locator("#cards article").first.wait_for()
    video = Generation.objects.get()
    assert len(video.params["reference_uploads"]) == 2

    page.goto(f"/create/video/?from={video.pk}")
    expect(page.locator("input[name=role_mode][value=frame]")).to_be_checked()
    kept = page.locator("#field-reference_uploads label")
    expect(kept.locator("input:checked")).to_have_count(2)
    assert "dawn.png" in kept.nth(0).inner_text() and "First frame" in kept.nth(0).inner_text()
    assert "dusk.png" in kept.nth(1).inner_text() and "Last frame" in kept.nth(1).inner_text()
    page.click("#create-form button[type=submit]")
    page.locator("#cards article").nth(1).wait_for()
    again = Generation.objects.exclude(pk=video.pk).get()
    assert again.params["reference_uploads"] == video.params["reference_uploads"]
    assert again.params["role_mode"] == "frame"
