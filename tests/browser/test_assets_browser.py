"""Assets in a real browser: create a group, upload two images, watch them turn Active without
reloading, and use one in a video task."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.factories import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_builds_an_asset_group_and_uses_an_asset_in_a_video(
    page, owner_a, background_worker, tmp_path
):
    files = []
    for name in ("hero.png", "villain.png"):
        path = tmp_path / name
        path.write_bytes(png_bytes((96, 96)))
        files.append(str(path))
    login(page, "alice@example.com", PASSWORD)
    page.goto("/assets/")
    page.fill("input[name=name]", "Cast")
    page.click("text=Create group")
    page.wait_for_url("**/assets/groups/*/")
    page.set_input_files("input[name=files]", files)
    page.click("text=Send for review")
    page.locator(".message", has_text="2 assets sent for review").wait_for()
    page.locator('[data-status="Active"]').nth(1).wait_for(timeout=20_000)  # turned Active in place
    assert page.locator('[data-status="Processing"]').count() == 0

    page.goto("/create/video/")
    page.fill("textarea[name=prompt]", "the hero waves")
    page.check("input[name=reference_assets] >> nth=0")
    page.click("#create-form button[type=submit]")
    card = page.locator("#cards article").first
    card.wait_for()
    card.locator(".badge-ok").wait_for(timeout=30_000)
    from gallery.models import Generation

    assert Generation.objects.get(kind="video").params["reference_assets"][0].startswith("asset-")
