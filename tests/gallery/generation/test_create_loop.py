"""Create loop server rules: pictures per prompt, earlier uploads and the gallery picker stay
inside the team, and bad values are a form error (never a 500)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.generation import uploads
from gallery.models import Generation
from tests.conftest import HTMX
from tests.factories import make_generation, make_item, png_bytes

pytestmark = pytest.mark.django_db
FORM = {"model": "gemini-3-pro-image-preview", "prompt": "a fox", "aspect_ratio": "1:1"}
FORM["size"] = "1K"


def test_count_makes_that_many_tasks_and_refuses_more_than_four(alice):
    assert alice.post("/create/image/", {**FORM, "count": "3"}).status_code == 302
    assert Generation.objects.count() == 3
    assert alice.post("/create/image/", {**FORM, "count": "9"}).status_code == 400
    assert Generation.objects.count() == 3


def test_another_teams_upload_cannot_be_reused(alice, owner_b, team_b):
    theirs = uploads.save_reference(
        team_b, owner_b, SimpleUploadedFile("x.png", png_bytes(), "image/png")
    )
    response = alice.post("/create/image/", {**FORM, "reference_uploads": [theirs.pk]})
    assert response.status_code == 400
    assert not Generation.objects.exists()


def test_the_picker_lists_only_the_teams_pictures_and_leaves_out_chosen_ones(
    alice, owner_a, team_a, owner_b, team_b
):
    ours = make_item(make_generation(team_a, owner_a, prompt="an owl"))
    chosen = make_item(make_generation(team_a, owner_a, prompt="an owl too"))
    theirs = make_item(make_generation(team_b, owner_b, prompt="an owl"))
    page = alice.get(
        "/create/picker/", {"q": "owl", "reference_items": [chosen.pk]}, **HTMX
    ).content.decode()
    assert f'value="{ours.pk}"' in page
    assert f'value="{chosen.pk}"' not in page
    assert f'value="{theirs.pk}"' not in page
    assert alice.get("/create/picker/", {"before": "x", "q": "\u00e9" * 300}).status_code == 200
