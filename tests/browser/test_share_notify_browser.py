"""Review links, the bell and webhooks in a real browser, desktop and phone, English and Chinese.

The reviewer is a second browser context with no login (a person outside the team)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gallery.models import Board, BoardItem
from sharing.models import ReviewLink, ReviewVerdict
from tests.browser.conftest import login, speak, watch_csp
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item
from tests.notifications.receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-share16")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _reviewer(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, page, watch_csp(page)


def _image_loaded(page, selector: str = ".review-card img") -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_review_link_from_an_item_approved_by_an_outsider(
    page, browser, live_server, team_a, owner_a
):
    item = make_item(make_generation(team_a, owner_a, prompt="a fox on a red sofa"))
    login(page, "alice@example.com", PASSWORD)
    page.goto(f"/gallery/{item.pk}/")
    page.click("summary:has-text('Create review link')")
    page.fill("[data-share-form] input[name=title]", "Sofa campaign")
    page.click("[data-share-form] button[type=submit]")
    page.wait_for_url("**/share/*/")
    url = page.input_value("[data-review-url]")
    assert "/r/" in url
    shot(page, "link-detail-desktop-en")

    context, reviewer, violations = _reviewer(
        browser, live_server, viewport={"width": 1280, "height": 900}
    )
    reviewer.goto(url)
    expect(reviewer.locator(".review-title")).to_have_text("Sofa campaign")
    reviewer.wait_for_load_state("networkidle")
    assert _image_loaded(reviewer)
    body = reviewer.inner_text("body")
    assert "a fox on a red sofa" not in body and "History" not in body  # no prompt, no app
    card = reviewer.locator(f"[data-review-item='{item.pk}']")
    card.locator("input[name=comment]").fill("Great, ship it")
    card.locator("input[name=name]").fill("Carla")
    card.locator("button[value=approve]").click()
    expect(reviewer.locator("[data-my-verdict]")).to_contain_text("Approved")
    shot(reviewer, "review-desktop-en")
    context.close()
    assert not violations

    page.goto(f"/gallery/{item.pk}/")
    reviews = page.locator("[data-item-reviews]")
    expect(reviews).to_contain_text("Carla")
    expect(reviews).to_contain_text("Great, ship it")
    expect(page.locator("[data-bell-count]")).to_have_text("1")
    page.click("[data-bell]")
    expect(page.locator("[data-notifications]")).to_contain_text("Carla approved picture")
    shot(page, "bell-desktop-en")
    page.click("button:has-text('Mark all as read')")
    expect(page.locator("[data-bell-count]")).to_have_count(0)


def test_password_expiry_and_revoke_on_a_phone_in_chinese(
    page, browser, live_server, team_a, owner_a
):
    items = [make_item(make_generation(team_a, owner_a, prompt=f"look {n}")) for n in range(3)]
    board = Board.objects.create(team=team_a, owner=owner_a, name="Lookbook", shared=True)
    for item in items:
        BoardItem.objects.create(board=board, item=item)
    login(page, "alice@example.com", PASSWORD)
    page.goto("/boards/")
    page.click("summary:has-text('Create review link')")
    page.fill("[data-share-form] input[name=password]", "open-sesame-7")
    page.check("[data-share-form] input[name=show_prompts]")
    page.click("[data-share-form] button[type=submit]")
    page.wait_for_url("**/share/*/")
    url = page.input_value("[data-review-url]")
    link = ReviewLink.objects.get()
    assert link.board == board and link.has_password

    context, phone, violations = _reviewer(
        browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone.goto(url)
    phone.click("button[lang=zh-hans]")  # the reviewer picks Chinese on the page itself
    expect(phone.locator("h1")).to_have_text("此审阅受密码保护")
    phone.fill("input[name=password]", "wrong")
    phone.click("main button[type=submit]")
    expect(phone.locator("[role=alert]")).to_have_text("密码不正确。")
    phone.fill("input[name=password]", "open-sesame-7")
    phone.click("main button[type=submit]")
    expect(phone.locator(".review-card")).to_have_count(3)
    expect(phone.locator(".review-card").first).to_contain_text("look")  # prompts were ticked
    phone.wait_for_load_state("networkidle")
    assert _image_loaded(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the review page scrolls sideways on a phone ({width}px)"
    card = phone.locator(".review-card").nth(1)
    card.locator("input[name=comment]").fill("颜色再暖一点")
    card.locator("input[name=name]").fill("王经理")
    card.locator("button[value=changes]").click()
    expect(phone.locator("[data-my-verdict]")).to_contain_text("要求修改")
    phone.wait_for_load_state("networkidle")
    shot(phone, "review-phone-zh")
    media = phone.eval_on_selector(".review-card img", "img => img.src")
    assert ReviewVerdict.objects.get().verdict == "changes"

    # The board shows the link with its verdicts; revoking it empties the reviewer's page.
    page.goto("/boards/")
    expect(page.locator(".board-list")).to_contain_text("✎ 1")
    page.goto(f"/share/{link.pk}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Revoke')")
    expect(page.locator(".notice")).to_be_visible()
    phone.goto(url)
    expect(phone.locator("[data-review-gone]")).to_be_visible()
    shot(phone, "review-gone-phone-zh")
    assert phone.request.get(media).status == 404
    context.close()
    assert not violations


def test_an_expired_link_shows_nothing(browser, live_server, team_a, owner_a):
    item = make_item(make_generation(team_a, owner_a))
    link = ReviewLink.objects.create(
        team=team_a, created_by=owner_a, expires_at=timezone.now() + timedelta(days=1)
    )
    link.items.add(item)
    context, reviewer, violations = _reviewer(browser, live_server)
    reviewer.goto(f"/r/{link.token}/")
    reviewer.wait_for_load_state("networkidle")
    media = reviewer.eval_on_selector(".review-card img", "img => img.src")
    assert reviewer.request.get(media).status == 200
    ReviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    reviewer.reload()
    expect(reviewer.locator("[data-review-gone]")).to_be_visible()
    assert reviewer.request.get(media).status == 404
    context.close()
    assert not violations


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_send_test_reaches_a_local_receiver_signed(
    page, phone, team_a, owner_a, settings, language
):
    with Receiver() as receiver:
        settings.WEBHOOK_ALLOWED_HOSTS = [receiver.host]
        screen = phone if language == "zh-hans" else page
        login(screen, "alice@example.com", PASSWORD)
        if language == "zh-hans":
            speak(screen, screen.url, "zh-hans")
        screen.goto("/team/")
        expect(screen.locator("[data-bell]")).to_be_visible()  # on a phone too, not behind ☰
        screen.click("a[href='/team/webhooks/']")
        form = screen.locator("[data-webhook-form]")
        form.locator("input[name=name]").fill("Ops room")
        form.locator("input[name=url]").fill(receiver.url)
        form.locator("input[name=secret]").fill("whsec-local-1234")
        form.locator("input[value='review.feedback']").check()
        form.locator("button[type=submit]").click()
        screen.wait_for_url("**/team/webhooks/*/")
        assert "whsec-local-1234" not in screen.content()
        screen.click("[data-send-test]")
        expect(screen.locator("[data-deliveries]")).to_contain_text("HTTP 200")
        shot(screen, f"webhook-{'phone' if screen is phone else 'desktop'}-{language}")
        sent = receiver.requests[-1]
        signature = hmac.new(b"whsec-local-1234", sent["body"], hashlib.sha256).hexdigest()
        assert sent["headers"]["X-Zcheap-Signature"] == f"sha256={signature}"
        if language == "zh-hans":
            assert "测试消息" in receiver.json()["text"]
            expect(screen.locator(".messages")).to_contain_text("测试消息已送达")
