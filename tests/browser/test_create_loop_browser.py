"""Issue 13's bugs, each as a person meets them in Chromium (each failed before its fix)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Invitation, Membership, Role
from assets.models import Asset, AssetGroup
from gallery.models import Generation, Kind, State
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import make_generation, make_item, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mj_grid(team, user, prompt="a lighthouse --ar 3:2"):
    grid = make_generation(team, user, kind=Kind.MIDJOURNEY, prompt=prompt)
    for i in range(4):
        make_item(grid, i)
    return grid


def child_of(grid, action, index, **params):
    child = make_generation(
        grid.team,
        grid.user,
        kind=Kind.MIDJOURNEY,
        action=action,
        parent=grid,
        parent_index=index,
        params=params,
    )
    child.source_items.set(grid.items.filter(index=index - 1))
    return child


def test_answering_no_to_cancel_tracking_keeps_the_task(page, owner_a, team_a):
    """Bug 1: "no" in the "may still be charged" dialog must not cancel (the form posts via htmx)."""
    running = make_generation(team_a, owner_a, state=State.RUNNING, remote_id="r-1")
    # htmx starts its request synchronously inside the submit event, so by the time click()
    # returns, a request the "no" failed to stop has already been counted here.
    page.add_init_script(
        """window.__cancelRequests = 0;
        document.addEventListener('htmx:beforeRequest', e => {
          if ((e.detail.pathInfo.requestPath || '').includes('/cancel/')) window.__cancelRequests++;
        });"""
    )
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    answers = iter([False, True])
    page.on("dialog", lambda d: d.accept() if next(answers) else d.dismiss())
    button = page.locator(f"#gen-{running.pk} button", has_text="Stop waiting")
    button.click()  # "no"
    assert page.evaluate("window.__cancelRequests") == 0
    button.click()  # "yes"
    page.locator(f"#gen-{running.pk} .badge", has_text="Cancelled").wait_for()
    assert page.evaluate("window.__cancelRequests") == 1
    assert Generation.objects.get(pk=running.pk).state == State.CANCELLED


def test_edit_and_retry_keeps_the_uploaded_reference(page, owner_a, team_a, tmp_path):
    """Bug 3: Edit & retry (?from=) dropped uploaded files; Duplicate kept them."""
    picture = tmp_path / "cat.png"
    picture.write_bytes(png_bytes())
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.fill("textarea[name=prompt]", "a cat like this one")
    page.set_input_files("input[name=reference_files]", str(picture))
    page.click("#create-form button[type=submit]")
    page.locator("#cards article").first.wait_for()
    first = Generation.objects.get()
    assert len(first.params["reference_uploads"]) == 1

    page.goto(f"/create/image/?from={first.pk}")
    kept = page.locator("input[name=reference_uploads]")
    expect(kept).to_be_checked()
    assert "cat.png" in page.locator("#field-reference_uploads").inner_text()
    assert page.inner_text("[data-ref-count]") == "References to send: 1"
    page.click("#create-form button[type=submit]")
    page.locator("#cards article").nth(1).wait_for()
    second = Generation.objects.exclude(pk=first.pk).get()
    assert second.params["reference_uploads"] == first.params["reference_uploads"]


def test_a_blank_remix_says_why_and_adds_no_card(page, owner_a, team_a):
    """Bug 4: a blank remix inserted a copy of the source card; the error came a page later."""
    grid = mj_grid(team_a, owner_a)
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/midjourney/")
    card = page.locator(f"#gen-{grid.pk}")
    card.locator("summary", has_text="Midjourney actions").click()
    card.locator("summary", has_text="Custom zoom, remix").click()
    card.locator("textarea[name=remix_prompt]").fill("   ")
    card.locator("button", has_text="Remix").click()
    page.locator("#messages", has_text="Write the new prompt").wait_for()
    expect(page.locator("#cards article")).to_have_count(1)
    assert Generation.objects.count() == 1


def test_switching_team_on_a_gallery_item_lands_on_a_page_that_exists(
    page, owner_a, team_a, team_b
):
    """Bug 5: switching team on an item of the old team gave a bare 404 with no way back."""
    Membership.objects.create(team=team_b, user=owner_a, role=Role.MEMBER)
    item = make_item(make_generation(team_a, owner_a))
    login(page, "alice@example.com", PASSWORD)
    page.goto(f"/gallery/{item.pk}/")
    page.select_option("#team-switch", str(team_b.pk))
    page.wait_for_url("**/gallery/")
    assert "Now working in Team Borealis" in page.inner_text("#messages")

    response = page.goto(f"/gallery/{item.pk}/")  # an old link: a 404 inside the app
    assert response.status == 404
    assert page.locator("#site-nav").is_visible()
    page.click("text=Go to the home page")
    page.wait_for_url("**/")


def test_vary_region_without_painting_stays_in_the_editor(page, owner_a, team_a):
    """Bug 7: starting vary region with nothing painted threw the editor away."""
    grid = mj_grid(team_a, owner_a)
    login(page, "alice@example.com", PASSWORD)
    page.goto(f"/tasks/{grid.pk}/mj/region/2/")
    page.fill("textarea[name=remix_prompt]", "a red door")
    page.click("form button[type=submit]:has-text('Vary region')")
    expect(page.locator("[data-mask-error]")).to_be_visible()
    assert page.url.endswith(f"/tasks/{grid.pk}/mj/region/2/")
    assert page.input_value("textarea[name=remix_prompt]") == "a red door"
    assert Generation.objects.count() == 1


def test_ticked_assets_count_as_references_on_the_video_form(page, owner_a, team_a):
    """Bug 8: two ticked assets still said "No references yet"."""
    group = AssetGroup.objects.create(team=team_a, remote_id="g1", name="Characters")
    for n in (1, 2):
        Asset.objects.create(
            team=team_a, group=group, remote_id=f"a{n}", name=f"Hero {n}", status="Active"
        )
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/video/")
    page.check("input[name=reference_assets][value=a1]")
    page.check("input[name=reference_assets][value=a2]")
    assert page.inner_text("[data-ref-count]") == "References to send: 2"


def test_the_blend_form_says_it_needs_two_to_five_images(page, owner_a):
    """Bug 9: the blend form said its images were optional."""
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/midjourney/?mode=blend")
    count = page.locator("[data-ref-count]")
    assert "optional" not in count.inner_text()
    assert count.inner_text() == "Pick 2 to 5 images."
    page.fill("textarea[name=reference_urls]", "https://example.com/a.png")
    assert count.inner_text() == "Images chosen: 1. Pick 2 to 5."


def test_team_page_ids_are_unique_so_labels_find_their_fields(page, owner_a):
    """Bug 10: the invitation and add-member forms both had id_role / id_email."""
    login(page, "alice@example.com", PASSWORD)
    page.goto("/team/")
    ids = page.locator("[id]").evaluate_all("els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    page.get_by_label("E-mail (optional, for your records)").fill("new@example.com")
    assert page.input_value("#id_invite_email") == "new@example.com"


def test_history_filters_speak_with_one_voice(page, owner_a, member_a, team_a):
    """Bug 11: two contradictory empty messages; a member chosen under "Mine" was ignored."""
    make_generation(team_a, member_a, prompt="bob's boat")
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    expect(page.locator("#history-list p:visible")).to_have_count(1)
    page.select_option("select[name=member]", label="Bob")
    page.locator("#history-list .card-prompt", has_text="bob's boat").wait_for()
    expect(page.locator("input[name=scope][value=team]")).to_be_checked()
    page.select_option("select[name=kind]", "video")
    page.locator("#history-list", has_text="No tasks match these filters").wait_for()
    expect(page.locator("#history-list p:visible")).to_have_count(1)


def test_from_task_links_lead_somewhere_when_the_parent_is_not_on_the_page(
    page, owner_a, member_a, team_a
):
    """Bug 12: "from task #N" pointed at #gen-N even when that card was not on the page."""
    grid = mj_grid(team_a, member_a)  # Bob's grid: not in Alice's own history
    upscale = child_of(grid, "upscale", 3)
    upscale.user = owner_a
    upscale.save()
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    page.click(f"#gen-{upscale.pk} a:has-text('from task #{grid.pk}')")
    source = grid.items.get(index=2)
    page.wait_for_url(f"**/gallery/{source.pk}/")


def test_card_titles_say_which_picture_an_action_used(page, owner_a, team_a):
    """Bug 13: zoom, pan, custom zoom, remix and vary region titles lacked the picture number."""
    grid = mj_grid(team_a, owner_a)
    children = [
        child_of(grid, "zoom", 2, scale=2.0),
        child_of(grid, "custom_zoom", 3, scale=1.3),
        child_of(grid, "pan", 4, direction="left"),
        child_of(grid, "remix", 1, remix_prompt="a castle"),
        child_of(grid, "inpaint", 2),
    ]
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    for child in children:
        title = page.inner_text(f"#gen-{child.pk} .card-kind")
        assert f"#{child.parent_index}" in title, title


def test_copy_prompt_is_not_under_the_lightbox_close_button(page, owner_a, team_a):
    """Bug 14a: at some widths the action buttons wrapped under the lightbox's ×."""
    item = make_item(make_generation(team_a, owner_a, prompt="a long prompt " * 20))
    login(page, "alice@example.com", PASSWORD)
    page.goto("/gallery/")
    page.click(f'a[href="/gallery/{item.pk}/"]')
    dialog = page.locator("#lightbox")
    dialog.locator("[data-detail]").wait_for()
    for width in (1280, 1100, 1000, 900, 800, 700, 600):
        page.set_viewport_size({"width": width, "height": 900})
        close = dialog.locator(".lightbox-close").bounding_box()
        for button in dialog.locator(".detail-actions > *").all():
            box = button.bounding_box()
            apart_x = (
                box["x"] >= close["x"] + close["width"] or close["x"] >= box["x"] + box["width"]
            )
            apart_y = (
                box["y"] >= close["y"] + close["height"] or close["y"] >= box["y"] + box["height"]
            )
            assert apart_x or apart_y, (width, button.inner_text())


def test_the_elapsed_counter_never_runs_backwards(page, owner_a, team_a):
    """Bug 14b: with the computer's clock a minute ahead, a state change made it jump back."""
    running = make_generation(team_a, owner_a, state=State.SUBMITTED, remote_id="r-2")
    page.clock.install(time=time.time() + 60)  # the person's clock runs a minute fast
    page.add_init_script(
        """
        window.__elapsed = [];
        new MutationObserver(() => document.querySelectorAll('[data-elapsed-from]').forEach(
          el => window.__elapsed.push(parseInt(el.textContent, 10)))
        ).observe(document, {subtree: true, childList: true, characterData: true});
        """
    )
    login(page, "alice@example.com", PASSWORD)
    page.goto("/history/")
    card = page.locator(f"#gen-{running.pk}")
    card.locator("[data-elapsed-from]").wait_for()
    page.wait_for_timeout(1500)  # let the counter tick at least once before the change
    Generation.objects.filter(pk=running.pk).update(
        state=State.RUNNING, progress=50, card_version=F("card_version") + 1
    )
    card.locator("progress[value='50']").wait_for()
    page.wait_for_timeout(1200)
    seen = [n for n in page.evaluate("window.__elapsed") if n == n]  # drop NaN
    assert seen and seen == sorted(seen), seen


def test_the_seed_box_lines_up_with_its_row(page, owner_a):
    """Bug 14c: the Seed input sat lower than the field next to it."""
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/midjourney/")
    seed = page.locator("input[name=seed]").bounding_box()
    no = page.locator("input[name=no]").bounding_box()
    assert abs(seed["y"] - no["y"]) < 2, (seed, no)


def test_a_used_invitation_says_already_used(page, owner_a, member_a, team_a):
    """Bug 14d: a used invitation said the link "is accepted"."""
    invitation = Invitation.objects.create(
        team=team_a,
        role=Role.MEMBER,
        created_by=owner_a,
        expires_at=timezone.now() + timedelta(days=7),
        accepted_at=timezone.now(),
    )
    page.goto(f"/invite/{invitation.token}/")
    text = page.inner_text("main")
    assert "already been used" in text
    assert "accepted" not in text
