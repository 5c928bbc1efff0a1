"""A deleted board is in the audit log, and the log's person filter still offers someone who
has left the team: desktop and phone, English and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

import audit
from accounts.models import Membership
from gallery.models import Board
from tests.browser.conftest import login, speak
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-audit-more")


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("device", ["page", "phone"])
def test_a_deleted_board_and_a_former_member_show_in_the_audit_log(
    request, live_server, device, lang, team_a, owner_a, member_a
):
    screen = request.getfixturevalue(device)
    speak(screen, live_server.url, lang)
    with translation.override(lang):
        deleted_label = str(translation.gettext("Board deleted"))
        left_label = str(translation.gettext("%(email)s (not in the team now)")) % {
            "email": "bob@example.com"
        }
    Board.objects.create(team=team_a, owner=owner_a, name="Spring campaign", shared=True)
    # Bob did something, then left the team.
    audit.record(team_a, member_a, "board.deleted", "Bob's old board")
    Membership.objects.filter(user=member_a, team=team_a).delete()

    login(screen, "alice@example.com", PASSWORD)
    screen.goto("/boards/")
    screen.once("dialog", lambda dialog: dialog.accept())
    screen.locator("form[action$='/delete/'] button").first.click()
    screen.wait_for_load_state("networkidle")
    assert not Board.objects.filter(name="Spring campaign").exists()

    screen.goto("/team/audit/")
    entry = screen.locator(".audit-event[data-kind='board.deleted']", has_text="Spring campaign")
    entry.wait_for()
    assert deleted_label in entry.inner_text()
    options = screen.locator("#id_person option").all_inner_texts()
    assert left_label in options, options

    screen.select_option("#id_person", "bob@example.com")
    screen.click(".audit-filters button[type=submit]")
    screen.wait_for_url("**person=bob**")
    assert screen.locator(".audit-event").count() == 1
    assert "Bob's old board" in screen.locator(".audit-event").inner_text()

    overflow = screen.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the audit log scrolls sideways by {overflow}px"
    SHOTS.mkdir(exist_ok=True)
    screen.screenshot(path=str(SHOTS / f"audit-more-{device}-{lang}.png"), full_page=True)
