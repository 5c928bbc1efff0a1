"""Issue 13's friction items that a person notices: the form keeps what was typed, Ctrl+Enter
creates, the phone header stays small, and a task done while away shows in the title."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from gallery.models import Generation, Kind, State
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ctrl_enter_creates_and_the_form_keeps_what_was_typed(page, owner_a):
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.select_option("select[name=aspect_ratio]", "16:9")
    page.fill("textarea[name=prompt]", "a red fox in snow")
    page.press("textarea[name=prompt]", "Control+Enter")
    page.locator("#cards article").first.wait_for()
    assert Generation.objects.get().prompt == "a red fox in snow"
    assert page.input_value("textarea[name=prompt]") == "a red fox in snow"
    assert page.input_value("select[name=aspect_ratio]") == "16:9"


def test_the_phone_header_and_demo_banner_take_under_15_percent(phone, owner_a):
    login(phone, "alice@example.com", PASSWORD)
    phone.goto("/create/image/")
    header = phone.locator(".site-header").bounding_box()
    banner = phone.locator(".demo-banner").bounding_box()
    assert header["height"] + banner["height"] < 0.15 * 844, (header, banner)
    phone.click("[data-nav-toggle]")  # team and language are one tap away
    phone.locator("#team-switch").wait_for()
    phone.locator("#lang-switch").wait_for()


def test_a_task_done_while_away_counts_in_the_title(page, owner_a, team_a):
    running = make_generation(team_a, owner_a, state=State.RUNNING, remote_id="r-9")
    page.add_init_script(
        """Object.defineProperty(document, 'visibilityState', {get: () => window.__vis || 'visible'});"""
    )
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.locator(f"#gen-{running.pk}").wait_for()
    title = page.title()
    page.evaluate("window.__vis = 'hidden'")
    Generation.objects.filter(pk=running.pk).update(
        state=State.DONE,
        progress=100,
        finished_at=timezone.now(),
        card_version=F("card_version") + 1,
    )
    page.locator(f"#gen-{running.pk} .badge-ok").wait_for(timeout=25_000)
    expect(page).to_have_title(f"(1) {title}")  # htmx:load fires after the settle, not at once
    page.evaluate("window.__vis = 'visible'; document.dispatchEvent(new Event('visibilitychange'))")
    assert page.title() == title


def test_several_pictures_per_prompt_make_one_card_each(page, owner_a):
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.fill("textarea[name=prompt]", "three foxes")
    page.select_option("select[name=count]", "3")
    page.click("#create-form button[type=submit]")
    page.locator("#cards article").nth(2).wait_for()
    assert Generation.objects.filter(prompt="three foxes").count() == 3


DROP = """([selector, kind]) => {
  const bytes = Uint8Array.from(atob('%s'), c => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], 'dropped.png', {type: 'image/png'}));
  const target = document.querySelector(selector);
  if (kind === 'drop') {
    target.dispatchEvent(new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
  } else {
    target.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
  }
}"""


@pytest.mark.parametrize("kind", ["drop", "paste"])
def test_pictures_can_be_dropped_or_pasted_as_references(page, owner_a, kind):
    import base64

    from tests.factories import png_bytes

    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.fill("textarea[name=prompt]", "like this")
    target = ".references" if kind == "drop" else "textarea[name=prompt]"
    page.evaluate(DROP % base64.b64encode(png_bytes()).decode(), [target, kind])
    assert page.inner_text("[data-ref-count]") == "References to send: 1"
    page.click("#create-form button[type=submit]")
    page.locator("#cards article").first.wait_for()
    assert len(Generation.objects.get().params["reference_uploads"]) == 1


def test_the_region_editor_fills_the_screen_and_can_undo(phone, owner_a, team_a):
    from tests.factories import make_item

    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="a lighthouse")
    for i in range(4):
        make_item(grid, i)
    login(phone, "alice@example.com", PASSWORD)
    phone.goto(f"/tasks/{grid.pk}/mj/region/1/")
    canvas = phone.locator("[data-mask-canvas]")
    box = canvas.bounding_box()
    assert box["width"] > 300  # a 64 px picture is shown at the screen's width
    undo = phone.locator("[data-mask-undo]")
    assert undo.is_disabled()
    phone.mouse.move(box["x"] + 50, box["y"] + 50)
    phone.mouse.down()
    phone.mouse.move(box["x"] + 120, box["y"] + 80)
    phone.mouse.up()
    assert undo.is_enabled()
    undo.click()
    phone.click("form button[type=submit]:has-text('Vary region')")
    phone.locator("[data-mask-error]").wait_for()  # undone: nothing painted any more


def test_the_gallery_picker_pages_and_searches_and_keeps_what_was_ticked(page, owner_a, team_a):
    from tests.factories import make_item

    owl = make_item(make_generation(team_a, owner_a, prompt="an owl at night"))
    for n in range(14):
        make_item(make_generation(team_a, owner_a, prompt=f"a fox number {n}"))
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    picks = page.locator("#field-reference_items input[name=reference_items]")
    assert picks.count() == 12  # the newest; the owl is older
    page.click("[data-picker-more]")
    page.locator(f"input[name=reference_items][value='{owl.pk}']").wait_for()
    assert picks.count() == 15

    page.fill("[data-picker-search]", "owl")
    page.locator("[data-picker-results] .pick").first.wait_for()

    expect(page.locator("[data-picker-results] .pick")).to_have_count(1)
    page.check(f"input[name=reference_items][value='{owl.pk}']")
    page.fill("[data-picker-search]", "fox")
    expect(page.locator("[data-picker-results] .pick")).to_have_count(14)
    assert page.locator(f"input[name=reference_items][value='{owl.pk}']").is_checked()
    assert page.inner_text("[data-ref-count]") == "References to send: 1"
    page.fill("textarea[name=prompt]", "an owl like this")
    page.click("#create-form button[type=submit]")
    page.locator("#cards .card-prompt", has_text="an owl like this").wait_for()
    assert Generation.objects.get(prompt="an owl like this").params["reference_items"] == [owl.pk]


def test_u_and_v_work_from_the_picture_itself(page, owner_a, team_a):
    from tests.factories import make_item

    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="a lighthouse")
    for i in range(4):
        make_item(grid, i)
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/midjourney/")
    third = page.locator(f"#gen-{grid.pk} .result-wrap").nth(2)
    third.hover()
    third.get_by_role("button", name="Upscale #3").click()
    page.locator("#cards article .card-kind", has_text="Upscale #3").wait_for()
    child = Generation.objects.get(action="upscale")
    assert child.parent_id == grid.pk and child.parent_index == 3


def test_a_form_error_keeps_the_chosen_file(page, owner_a, tmp_path):
    picture = tmp_path / "dog.png"
    from tests.factories import png_bytes

    picture.write_bytes(png_bytes())
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.set_input_files("input[name=reference_files]", str(picture))
    page.click("#create-form button[type=submit]")  # no prompt: an error
    page.locator("#field-prompt .errorlist").wait_for()
    expect(page.locator("input[name=reference_uploads]")).to_be_checked()
    assert "dog.png" in page.inner_text("#field-reference_uploads")
    page.fill("textarea[name=prompt]", "a dog like this")
    page.click("#create-form button[type=submit]")
    page.locator("#cards .card-prompt", has_text="a dog like this").wait_for()
    assert len(Generation.objects.get().params["reference_uploads"]) == 1


def test_video_frame_mode_labels_the_first_and_last_frame(page, owner_a, team_a):
    from tests.factories import make_item

    first = make_item(make_generation(team_a, owner_a, prompt="dawn"))
    last = make_item(make_generation(team_a, owner_a, prompt="dusk"))
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/video/")
    page.check("input[name=role_mode][value=frame]")
    expect(page.locator("[data-frame-hint]")).to_be_visible()
    page.check(f"input[name=reference_items][value='{last.pk}']")
    page.check(f"input[name=reference_items][value='{first.pk}']")
    slots = page.locator("[data-picker-chosen] .pick")
    assert "First frame" in slots.nth(0).inner_text()
    assert slots.nth(0).locator("input").get_attribute("value") == str(last.pk)
    assert "Last frame" in slots.nth(1).inner_text()
