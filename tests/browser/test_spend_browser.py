"""Issue 14 in the browser (demo mode): the price before you click, the budget refusal, the
balance alert, the usage page and charged-but-failed; English and Chinese, desktop and phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from gallery.models import Generation, Kind, State
from spend.models import Charge, ChargeStatus
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item
from tests.spend.conftest import set_budget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-spend14")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def chinese(page, live_server) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": "zh-hans", "url": live_server.url}]
    )


def test_the_price_follows_the_image_form_without_a_reload(page, member_a):
    login(page, "bob@example.com", PASSWORD)
    page.goto("/create/image/")
    price = page.locator("#price-hint [data-price]")
    expect(price).to_have_text("≈ $0.134")
    page.select_option("select[name=count]", "3")
    expect(price).to_have_text("≈ $0.402")
    page.check("input[name=model][value='gemini-3.1-flash-image-preview']")
    expect(price).to_have_text("≈ $0.201")
    shot(page, "hint-image-desktop-en")


def test_the_price_follows_mj_speed_and_the_video_settings(page, member_a):
    login(page, "bob@example.com", PASSWORD)
    page.goto("/create/midjourney/")
    price = page.locator("#price-hint [data-price]")
    expect(price).to_have_text("≈ $0.04")
    page.select_option("select[name=speed]", "turbo")
    expect(price).to_have_text("≈ $0.08")
    page.select_option("select[name=speed]", "")
    page.fill("textarea[name=prompt]", "a fox --draft")
    expect(price).to_have_text("≈ $0.02")
    page.goto("/create/video/")
    expect(price).to_have_text("≈ $0.40")
    expect(page.locator("#price-hint")).to_contain_text("typical usage")
    page.select_option("select[name=duration]", "10")
    expect(price).to_have_text("≈ $0.80")


def test_mj_actions_show_their_prices_when_opened(page, team_a, member_a):
    done = make_generation(team_a, member_a, kind=Kind.MIDJOURNEY, prompt="fox --fast")
    for index in range(4):
        make_item(done, index)
    login(page, "bob@example.com", PASSWORD)
    page.goto("/history/")
    page.locator(f"#gen-{done.pk} details.mj-actions > summary").click()
    prices = page.locator(f"#gen-{done.pk} [data-mj-prices]")
    expect(prices).to_contain_text("Upscale ≈ $0.04")
    expect(prices).to_contain_text("Reroll ≈ $0.08")


def test_the_hint_and_the_refusal_in_chinese_on_a_phone(
    phone, live_server, team_a, member_a, owner_a
):
    set_budget(team_a, member_a, usd=0.2)
    chinese(phone, live_server)
    login(phone, "bob@example.com", PASSWORD)
    phone.goto("/create/image/")
    expect(phone.locator("#price-hint [data-price]")).to_have_text("≈ $0.134")
    phone.fill("textarea[name=prompt]", "第一只狐狸")
    phone.click("#create-form button[type=submit]")
    phone.locator("#cards article").first.wait_for()
    # 0.134 of 0.2 used: the next one does not fit, and the hint says so before the click
    note = phone.locator("#price-hint [data-budget-note=member]")
    expect(note).to_contain_text("超出你的月度预算")
    expect(note).to_contain_text("Alice")
    phone.fill("textarea[name=prompt]", "第二只狐狸")
    phone.click("#create-form button[type=submit]")
    error = phone.locator("#create-form .errorlist.nonfield")
    expect(error).to_contain_text("月度预算")
    expect(error).to_contain_text("Alice")
    assert Generation.objects.count() == 1
    shot(phone, "refusal-phone-zh")


def test_the_refusal_on_desktop_in_english_keeps_what_was_typed(page, team_a, member_a, owner_a):
    set_budget(team_a, member_a, usd=0.1)
    login(page, "bob@example.com", PASSWORD)
    page.goto("/create/image/")
    expect(page.locator("#price-hint [data-budget-note=member]")).to_contain_text(
        "over your monthly budget"
    )
    page.fill("textarea[name=prompt]", "a fox that costs too much")
    page.click("#create-form button[type=submit]")
    expect(page.locator("#create-form .errorlist.nonfield")).to_contain_text(
        "Ask an owner or admin (Alice)"
    )
    assert page.input_value("textarea[name=prompt]") == "a fox that costs too much"
    assert not Generation.objects.exists()
    shot(page, "refusal-desktop-en")


def _ledger(team, owner, member):
    for user, micros, status in (
        (owner, 1_000_000, ChargeStatus.CHARGED),
        (member, 400_000, ChargeStatus.CHARGED),
        (member, 134_000, ChargeStatus.REFUND_EXPECTED),
    ):
        state = State.FAILED if status != ChargeStatus.CHARGED else State.DONE
        generation = make_generation(team, user, state=state, remote_id="task_x")
        Charge.objects.create(
            generation=generation,
            team=team,
            user=user,
            kind=generation.kind,
            model=generation.model,
            estimated_micros=micros,
            charged_micros=micros,
            status=status,
        )


def test_the_usage_page_for_an_admin_and_for_a_member(page, team_a, owner_a, member_a):
    _ledger(team_a, owner_a, member_a)
    login(page, "alice@example.com", PASSWORD)
    page.goto("/usage/")
    expect(page.locator("[data-usage-total]")).to_have_text("$1.40")
    assert page.locator("svg.chart-bars rect.chart-bar").count() >= 3  # members and models
    assert page.locator("svg.chart-days rect.chart-bar").count() >= 1
    shot(page, "usage-desktop-en")
    with page.expect_download() as download:
        page.click("[data-csv]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.count("\n") == 4  # a header and three tasks
    page.click("a[href^='/usage/failed/']")
    expect(page.locator("[data-failed-task]")).to_have_count(1)
    expect(page.locator("[data-failed-task]")).to_contain_text("Refund expected")
    page.context.clear_cookies()
    login(page, "bob@example.com", PASSWORD)
    page.goto("/usage/")
    expect(page.locator("[data-usage-total]")).to_have_text("$0.40")  # his own, refund excluded


def test_the_usage_page_in_chinese_on_a_phone(phone, live_server, team_a, owner_a, member_a):
    _ledger(team_a, owner_a, member_a)
    chinese(phone, live_server)
    login(phone, "alice@example.com", PASSWORD)
    phone.goto("/usage/")
    expect(phone.locator("h1")).to_contain_text("用量")
    expect(phone.locator("[data-usage-total]")).to_have_text("$1.40")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the usage page scrolls sideways on a phone ({width}px)"
    shot(phone, "usage-phone-zh")


def test_an_admin_sees_the_balance_and_a_low_balance_banner(page, team_a, owner_a):
    login(page, "alice@example.com", PASSWORD)
    page.goto("/team/budgets/")
    page.fill("input[name=balance_threshold]", "60")  # the demo balance is 50
    page.click("text=Save")
    page.click("text=Read prices and balance now")
    expect(page.locator("[data-balance-chip]")).to_contain_text("$50.00")
    expect(page.locator("[data-low-balance]")).to_contain_text("below the $60.00 you set")
    shot(page, "budgets-low-balance-desktop-en")


def test_a_batch_shows_its_estimated_total_and_the_budget_in_chinese_on_a_phone(
    phone, live_server, team_a, member_a, owner_a
):
    set_budget(team_a, member_a, usd=0.5)
    chinese(phone, live_server)
    login(phone, "bob@example.com", PASSWORD)
    phone.goto("/create/image/")
    phone.locator("summary.batch-summary, summary:has-text('批量')").first.click()
    phone.fill("#batch-prompts", "狐狸\n鲸鱼\n青蛙")
    phone.fill("#batch-variants", "2")
    cost = phone.locator("#batch-preview [data-batch-cost]")
    expect(cost).to_contain_text("$0.804")  # 6 × 0.134, the default Pro model
    expect(phone.locator("#batch-preview [data-budget-note=member]")).to_contain_text("超出")
    shot(phone, "batch-estimate-phone-zh")
