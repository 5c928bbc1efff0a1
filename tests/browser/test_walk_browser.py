"""The QA walk's browser findings (each failed before its fix)."""

from __future__ import annotations

import pytest

from gallery.models import Generation
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the textarea's resize handle, autofill or a browser extension leave on form fields: a
# style set through the CSSOM (allowed under our CSP), sometimes emptied again (style="").
TOUCH_STYLES = """() => {
  document.querySelectorAll('#create-form [id]').forEach((el, i) => {
    el.style.outline = '1px solid red';
    if (i % 2) el.style.outline = '';
  });
  document.querySelector('#id_prompt').style.height = '9rem';
}"""


def test_creating_after_the_fields_got_inline_styles_breaks_no_csp_rule(
    page, owner_a, team_a, background_worker
):
    """htmx copied each old field's style attribute onto the new form with setAttribute,
    which the CSP refuses ("Applying inline style violates ... style-src 'self'", 7–10 times on
    the first task). The `page` fixture fails on any CSP report."""
    login(page, "alice@example.com", PASSWORD)
    page.goto("/create/image/")
    page.evaluate(TOUCH_STYLES)
    page.fill("textarea[name=prompt]", "an owl")
    page.click("#create-form button[type=submit]")
    page.locator("#cards article.card .badge", has_text="Done").wait_for()
    page.evaluate(TOUCH_STYLES)
    page.fill("textarea[name=prompt]", "a second owl")
    page.click("#create-form button[type=submit]")
    page.locator("#cards article.card").nth(1).wait_for()
    assert Generation.objects.count() == 2
