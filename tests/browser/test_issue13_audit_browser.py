"""Issue 13's friction items that had no browser test yet (found in the audit): each checks what a
person sees, desktop or 390×844 phone."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from assets.models import Asset, AssetGroup
from gallery.models import Generation, Kind, State
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invitation_link_copies_with_one_click(page, owner_a):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, "alice@example.com", PASSWORD)
    page.goto("/team/")
    page.click("button:has-text('Create invitation link')")
    field = page.get_by_label("Invitation link")
    link = field.input_value()
    assert "/invite/" in link
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link


def test_a_viewer_sees_a_read_only_notice_instead_of_forms(page, viewer_a):
    login(page, "vera@example.com", PASSWORD)
    page.goto("/team/")
    expect(page.locator(".notice").first).to_contain_text("only its owners and admins can change")
    expect(page.locator("#id_api_key")).to_have_count(0)
    page.goto("/create/image/")
    expect(page.locator(".notice").first).to_contain_text("You are a viewer in this team")
    expect(page.locator("textarea[name=prompt]")).to_have_count(0)


def test_a_new_board_says_how_to_add_pictures(page, owner_a, team_a):
    make_item(make_generation(team_a, owner_a, prompt="a fox"))
    login(page, "alice@example.com", PASSWORD)
    page.goto("/boards/")
    page.fill("input[name=name]", "Ideas")
    page.click("button:has-text('Create')")
    page.goto("/boards/")
    page.click("a:has-text('Ideas')")
    expect(page.locator(".empty-state")).to_contain_text("To add pictures, tick them")
    page.click(".empty-state a:has-text('Open the gallery')")
    page.locator(".tile-item").first.wait_for()


def test_asset_pickers_show_thumbnails(page, owner_a, team_a):
    item = make_item(make_generation(team_a, owner_a, prompt="a cast member"))
    group = AssetGroup.objects.create(team=team_a, remote_id="g1", name="Cast")
    Asset.objects.create(
        team=team_a, group=group, remote_id="asset-1", name="Mia", status="Active", item=item
    )
    login(page, "alice@example.com", PASSWORD)
    for url in ("/create/video/", "/create/image/"):
        page.goto(url)
        thumb = page.locator("label.asset-pick", has_text="Mia").locator("img")
        expect(thumb).to_be_visible()
        assert page.evaluate("(img) => img.naturalWidth > 0", thumb.element_handle())


def test_creating_does_not_make_the_page_jump(page, owner_a, team_a):
    """The new card goes to the top of the task column beside the form; the browser's scroll
    anchoring used to scroll the page by the card's height, the button under the header."""
    for n in range(6):
        make_generation(team_a, owner_a, prompt=f"an older fox {n}")
    login(page, "alice@example.com", PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto("/create/image/")
    page.fill("textarea[name=prompt]", "a fox that stays put")
    button = page.locator("#create-form").get_by_role("button", name="Create image", exact=True)
    button.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    assert before > 0  # the form is long enough that the page is scrolled
    button.click()
    page.locator("#cards .card-prompt", has_text="a fox that stays put").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") == before
    expect(button).to_be_in_viewport()


def test_u_and_v_are_a_tap_away_on_a_phone(phone, owner_a, team_a):
    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="a lighthouse")
    for i in range(4):
        make_item(grid, i)
    login(phone, "alice@example.com", PASSWORD)
    phone.goto("/create/midjourney/")
    button = (
        phone.locator(f"#gen-{grid.pk} .result-wrap")
        .nth(1)
        .get_by_role("button", name="Vary (subtle) #2")
    )
    button.scroll_into_view_if_needed()
    assert button.evaluate("(b) => getComputedStyle(b.parentElement).opacity") == "1"  # no hover
    button.tap()
    phone.locator("#cards article .card-kind", has_text="Vary (subtle) #2").wait_for()
    assert Generation.objects.get(action="low_variation").parent_index == 2


NOTIFICATIONS = """window.__shown = [];
class FakeNotification {
  constructor(title, options) { window.__shown.push([title, options.body]); }
  static requestPermission() { FakeNotification.permission = 'granted'; return Promise.resolve('granted'); }
}
FakeNotification.permission = 'default';
window.Notification = FakeNotification;
Object.defineProperty(document, 'visibilityState', {get: () => window.__vis || 'visible'});"""


def test_a_task_done_while_away_sends_a_notification_once_allowed(page, owner_a, team_a):
    running = make_generation(
        team_a, owner_a, state=State.RUNNING, remote_id="r-5", prompt="an owl"
    )
    page.add_init_script(NOTIFICATIONS)
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.click("button:has-text('Tell me when a task finishes')")
    expect(page.locator("[data-notify-ask]")).to_be_hidden()
    page.locator(f"#gen-{running.pk}").wait_for()
    page.evaluate("window.__vis = 'hidden'")
    Generation.objects.filter(pk=running.pk).update(
        state=State.DONE,
        progress=100,
        finished_at=timezone.now(),
        card_version=F("card_version") + 1,
    )
    page.locator(f"#gen-{running.pk} .badge-ok").wait_for(timeout=25_000)
    page.wait_for_function("window.__shown.length === 1")
    title, body = page.evaluate("window.__shown[0]")
    assert "Done" in title and body == "an owl"


@pytest.mark.parametrize("form", ["midjourney", "video"])
def test_pictures_can_be_dropped_on_every_reference_area(page, owner_a, form):
    import base64

    from tests.browser.test_create_friction_browser import DROP
    from tests.factories import png_bytes

    login(page, "alice@example.com", PASSWORD)
    page.goto(f"/create/{form}/")
    page.evaluate(DROP % base64.b64encode(png_bytes()).decode(), [".references", "drop"])
    assert page.evaluate("document.querySelector('input[name=reference_files]').files.length") == 1


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_a_429_task_that_gave_up_says_so_in_the_readers_language(
    page, owner_a, team_a, settings, tmp_path, lang
):
    """Bug 6: a 429 task that gave up still promised another try; its details were English."""
    from gallery.generation import worker

    settings.ZCHEAP_SIMULATOR_DB = tmp_path / "sim.db"
    settings.ZCHEAP_DEMO_SPEED = "fast"
    busy = make_generation(team_a, owner_a, state=State.QUEUED, prompt="busy [sim:429]")
    Generation.objects.filter(pk=busy.pk).update(attempts=worker.MAX_SUBMIT_ATTEMPTS - 1)
    assert worker.submit_one(busy.pk) == "failed"
    login(page, "alice@example.com", PASSWORD)
    if lang != "en":
        page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.url}])
    page.goto("/history/")
    card = page.locator(f"#gen-{busy.pk}")
    card.locator("summary").click()
    text = card.inner_text()
    assert "tried again" not in text and "稍后会自动重试" not in text
    if lang == "en":
        assert "stopped trying" in text and "too many requests" in text.lower()
    else:
        assert "请求过多" in text and "stopped trying" not in text


def test_answering_no_to_any_confirmation_sends_nothing(page, owner_a, member_a, team_a):
    """Bug 1, every confirm in the app: remove a member, delete a board, delete a picture in the
    lightbox, delete an asset. "No" must send no request at all."""
    from gallery.models import Board, MediaItem

    item = make_item(make_generation(team_a, owner_a, prompt="a keeper"))
    Board.objects.create(team=team_a, owner=owner_a, name="Keep me")
    group = AssetGroup.objects.create(team=team_a, remote_id="g1", name="Cast")
    Asset.objects.create(team=team_a, group=group, remote_id="asset-1", name="Mia", status="Active")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.on("dialog", lambda d: d.dismiss())
    login(page, "alice@example.com", PASSWORD)
    posts.clear()

    page.goto("/team/")
    page.locator("tr", has_text="bob@example.com").locator("button", has_text="Remove").click()
    page.goto("/boards/")
    page.locator("li", has_text="Keep me").locator("button", has_text="Delete").click()
    page.goto("/gallery/")
    page.locator(f"[data-item='{item.pk}'] a").click()
    page.locator("dialog.lightbox button", has_text="Delete").click()
    page.goto(f"/assets/groups/{group.pk}/")
    page.locator("button.btn-danger", has_text="Delete").first.click()
    page.wait_for_timeout(300)
    assert posts == []
    assert team_a.memberships.filter(user=member_a).exists()
    assert Board.objects.filter(name="Keep me").exists()
    assert MediaItem.objects.get(pk=item.pk).deleted_at is None
    assert Asset.objects.filter(remote_id="asset-1").exists()
