"""Presets, batch runs, the batch card and compare, in the browser (desktop and phone, en and
zh-Hans). Screenshots go to /tmp/shots-presets15/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from gallery.models import BoardItem, Generation, State
from presets.models import Batch, Preset
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-presets15")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _navigations(page) -> int:
    return page.evaluate("performance.getEntriesByType('navigation').length")


def _presets(team, admin, member):
    Preset.objects.create(
        team=team,
        owner=admin,
        name="House product shot",
        kind="image",
        model="gemini-3.1-flash-image-preview",
        settings={"aspect_ratio": "4:5", "size": "2K"},
        prompt_template="product photo of {product} on {surface}, soft light",
        shared=True,
        pinned=True,
    )
    Preset.objects.create(
        team=team,
        owner=member,
        name="My banner",
        kind="image",
        prompt_template="banner",
        shared=False,
    )
    Preset.objects.create(
        team=team, owner=admin, name="Alice private", kind="image", prompt_template="secret"
    )


def test_a_preset_fills_the_form_after_asking_for_its_blanks(page, team_a, owner_a, member_a):
    _presets(team_a, owner_a, member_a)
    login(page, "bob@example.com", PASSWORD)
    page.goto("/create/image/")
    options = page.locator("[data-preset-select] option").all_inner_texts()
    assert options[1].startswith("★ House product shot")  # pinned first
    assert any("My banner" in o for o in options)
    assert not any("Alice private" in o for o in options)  # someone else's private preset

    page.select_option("[data-preset-select]", label=options[1])
    page.fill("input[name=ph_product]", "a teapot")
    page.fill("input[name=ph_surface]", "oak")
    shot(page, "preset-ask-desktop")
    page.click("text=Fill the form")
    expect(page.locator("#id_prompt")).to_have_value("product photo of a teapot on oak, soft light")
    expect(page.locator("#id_aspect_ratio")).to_have_value("4:5")
    expect(page.locator("#id_size")).to_have_value("2K")
    expect(page.locator("input[name=ph_product]")).to_have_count(0)  # the question is gone
    assert _navigations(page) == 1  # no reload

    # Save what is on the form as a new preset.
    page.fill("#id_prompt", "poster of {event}")
    page.click("button:has-text('Save as preset')")
    page.fill(".preset-form input[name=name]", "Poster")
    expect(page.locator(".preset-form textarea[name=prompt_template]")).to_have_value(
        "poster of {event}"
    )
    page.click(".preset-form button[type=submit]")
    page.locator(".message", has_text="Preset “Poster” saved.").wait_for()
    poster = Preset.objects.get(name="Poster")
    assert (poster.owner, poster.settings["aspect_ratio"]) == (member_a, "4:5")

    # A bad placeholder is explained on the preset's page.
    page.goto(f"/presets/{poster.pk}/")
    page.fill("textarea[name=prompt_template]", "poster of {two words}")
    page.click(".preset-form button[type=submit]")
    page.locator(".errorlist", has_text="is not a placeholder").wait_for()
    shot(page, "preset-error-desktop")


def test_batch_from_a_list_then_a_csv_with_errors_then_the_card_board_and_compare(
    page, team_a, member_a, background_worker, tmp_path
):
    login(page, "bob@example.com", PASSWORD)
    page.goto("/create/image/")
    page.click("summary:has-text('Batch')")
    page.fill("#batch-prompts", "red fox\nblue whale\ngreen frog")
    page.locator("[data-batch-count='3']").wait_for()
    page.fill("#batch-variants", "2")
    page.locator("#batch-preview", has_text="This batch makes 6 tasks").wait_for()

    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,size,colour\nfox,1K,red\n", encoding="utf-8")
    page.set_input_files("#batch-csv", str(bad))
    page.locator("[data-problem-column='colour']", has_text="Unknown column").wait_for()
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("prompt,size\nfox,1K\nwhale,9K\n", encoding="utf-8")
    page.set_input_files("#batch-csv", str(wrong))
    row = page.locator("[data-problem-row='3'][data-problem-column='size']")
    row.wait_for()
    assert "Allowed:" in row.inner_text()
    shot(page, "batch-csv-errors-desktop")
    page.click("[data-batch-start]")
    page.locator("#batch-preview", has_text="Nothing was started").wait_for()
    assert not Generation.objects.exists()

    page.set_input_files("#batch-csv", [])
    page.fill("#batch-name", "Animals")
    page.press("#batch-name", "Enter")  # counts the batch; creates no single task
    page.locator("#batch-preview", has_text="This batch makes 6 tasks").wait_for()
    page.click("[data-batch-start]")
    page.wait_for_url("**/batches/*/")
    batch = Batch.objects.get()
    page.locator("#batch-card[data-batch-finished='1']").wait_for(timeout=60_000)
    expect(page.locator("[data-count=done]")).to_have_text("6 done")
    shot(page, "batch-card-desktop")
    assert BoardItem.objects.filter(board=batch.board).count() == 6
    assert Generation.objects.count() == 6  # Enter in the batch name made no single task

    boxes = page.locator(".batch-thumb input")
    boxes.nth(0).check()
    boxes.nth(2).check()
    page.click("[data-compare-submit]")
    page.wait_for_url("**/gallery/compare/**")
    expect(page.locator("[data-compare-pane]")).to_have_count(2)
    page.locator("[data-compare-ready]").wait_for()
    page.locator(".diff-added", has_text="blue whale").wait_for()
    page.click("[data-zoom=in]")
    transforms = page.eval_on_selector_all(
        "[data-compare-img]", "imgs => imgs.map(i => i.style.transform)"
    )
    assert len(set(transforms)) == 1 and "scale(1.5)" in transforms[0]  # zoomed together
    shot(page, "compare-desktop")

    page.goto(f"/gallery/?board={batch.board.pk}")
    expect(page.locator(".tile-item")).to_have_count(6)


def test_batch_cancel_and_retry_on_the_card(page, team_a, member_a):
    login(page, "bob@example.com", PASSWORD)
    page.goto("/create/image/")
    page.click("summary:has-text('Batch')")
    page.fill("#batch-prompts", "one\ntwo\nthree")
    page.locator("[data-batch-count='3']").wait_for()
    page.click("[data-batch-start]")
    page.wait_for_url("**/batches/*/")
    batch = Batch.objects.get()
    first = batch.tasks().order_by("pk").first()
    Generation.objects.filter(pk=first.pk).update(state=State.FAILED)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Cancel the rest')")
    page.locator(".message", has_text="Stopped 2 tasks of the batch.").wait_for()
    expect(page.locator("[data-count=failed]")).to_have_text("1 failed")
    page.click("button:has-text('Retry the failed task')")
    page.locator(".message", has_text="Started 1 failed task again.").wait_for()
    expect(page.locator("[data-count=running]")).to_have_text("1 running")


def test_phone_in_chinese_presets_batch_card_and_swipe_compare(phone, team_a, owner_a, member_a):
    _presets(team_a, owner_a, member_a)
    items = []
    for prompt in ("一只红狐狸在雪中", "一只蓝狐狸在雪中"):
        items.append(make_item(make_generation(team_a, member_a, prompt=prompt)))
    login(phone, "bob@example.com", PASSWORD)
    phone.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": phone.url}])
    phone.goto("/create/image/")
    phone.locator("label", has_text="从预设开始").wait_for()
    phone.select_option("[data-preset-select]", index=1)
    phone.locator("button", has_text="填入表单").wait_for()
    shot(phone, "preset-ask-phone-zh")
    phone.fill("input[name=ph_product]", "茶壶")
    phone.fill("input[name=ph_surface]", "木桌")
    phone.click("text=填入表单")
    expect(phone.locator("#id_prompt")).to_have_value("product photo of 茶壶 on 木桌, soft light")

    phone.click("summary:has-text('批量')")
    phone.fill("#batch-prompts", "狐狸\n鲸鱼")
    phone.locator("#batch-preview", has_text="这个批量会生成 2 个任务").wait_for()
    shot(phone, "batch-tools-phone-zh")
    phone.click("[data-batch-start]")
    phone.wait_for_url("**/batches/*/")
    phone.locator("[data-count=running]", has_text="2 个进行中").wait_for()
    shot(phone, "batch-card-phone-zh")

    phone.goto(f"/gallery/compare/?item={items[0].pk}&item={items[1].pk}")
    phone.locator(".diff-added", has_text="蓝").wait_for()
    assert phone.locator(".diff-removed").inner_text() == "红"
    strip = phone.locator("[data-compare]")
    assert strip.evaluate("el => getComputedStyle(el).scrollSnapType").startswith("x")
    assert strip.evaluate("el => el.scrollWidth > el.clientWidth")  # one picture per screen
    shot(phone, "compare-phone-zh")
    phone.goto("/presets/")
    phone.locator("h1", has_text="预设").wait_for()
    shot(phone, "presets-phone-zh")
