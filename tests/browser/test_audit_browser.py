"""An owner changes a role and finds it in the audit log: desktop and phone, English and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from accounts.models import Membership, Role
from tests.browser.conftest import login, speak
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-audit16")


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
@pytest.mark.parametrize("device", ["page", "phone"])
def test_an_owner_changes_a_role_and_sees_it_in_the_audit_log(
    request, live_server, device, lang, team_a, owner_a, member_a
):
    screen = request.getfixturevalue(device)
    speak(screen, live_server.url, lang)
    with translation.override(lang):
        kind_label, admin_label = str(translation.gettext("Role changed")), str(Role.ADMIN.label)
        member_label = str(Role.MEMBER.label)
    membership = Membership.objects.get(user=member_a)

    login(screen, "alice@example.com", PASSWORD)
    screen.goto("/team/")
    screen.select_option(f"#role-{membership.pk}", Role.ADMIN)
    screen.locator(".message", has_text="bob").first.wait_for()
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN

    screen.click("#audit-link")
    screen.wait_for_url("**/team/audit/")
    entry = screen.locator(".audit-event[data-kind='role.changed']")
    entry.wait_for()
    text = entry.inner_text()
    assert kind_label in text and "bob@example.com" in text
    assert entry.locator("del").inner_text() == member_label
    assert entry.locator("ins").inner_text() == admin_label

    # The kind filter keeps it; the export is offered.
    screen.select_option("#id_kind", "role.changed")
    screen.click(".audit-filters button[type=submit]")
    screen.wait_for_url("**kind=role.changed**")
    assert screen.locator(".audit-event").count() == 1
    assert screen.locator("a[href^='/team/audit/export.csv']").is_visible()

    overflow = screen.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the audit log scrolls sideways by {overflow}px"
    SHOTS.mkdir(exist_ok=True)
    screen.screenshot(path=str(SHOTS / f"audit-{device}-{lang}.png"), full_page=True)
