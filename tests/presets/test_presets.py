"""Presets: private or shared, pinned by admins, prompt templates with placeholders, validation."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Role
from gallery.models import Generation
from presets.models import Preset, fill_template, placeholders_of, template_problems
from tests.conftest import HTMX, client_for, make_user
from tests.factories import make_generation

pytestmark = pytest.mark.django_db

IMAGE = {
    "kind": "image",
    "s_model": "gemini-3.1-flash-image-preview",
    "s_aspect_ratio": "4:5",
    "s_size": "2K",
}


def _save(client, **fields):
    return client.post("/presets/new/", {**IMAGE, **fields})


def test_placeholders_are_read_from_the_template():
    template = "product photo of {product} on {surface}, {{literal}} {product}"
    assert placeholders_of(template) == ["product", "surface"]
    assert fill_template(template, {"product": "a teapot", "surface": "oak"}) == (
        "product photo of a teapot on oak, {literal} a teapot"
    )
    assert placeholders_of("{产品} 的照片") == ["产品"]
    assert template_problems("a {two words} b {} c {ok}") == ["{two words}", "{}"]
    assert template_problems("broken { here") == ["{"]


def test_a_private_preset_is_only_its_owners(bob, alice, member_a):
    response = _save(bob, name="Bob's shot", prompt_template="photo of {product}")
    assert response.status_code == 302
    preset = Preset.objects.get(name="Bob's shot")
    assert (preset.owner, preset.shared, preset.model) == (member_a, False, IMAGE["s_model"])
    assert preset.settings == {"aspect_ratio": "4:5", "size": "2K"}
    assert "Bob&#x27;s shot" in bob.get("/presets/").content.decode()
    assert "Bob&#x27;s shot" not in alice.get("/presets/").content.decode()
    assert alice.get(f"/presets/{preset.pk}/use/").status_code == 404
    assert alice.get(f"/create/image/?preset={preset.pk}").context["form"].initial.get(
        "prompt"
    ) in (None, "")


def test_shared_presets_reach_the_team_and_pinned_ones_come_first(alice, bob):
    _save(bob, name="Alpha", shared="on")
    _save(alice, name="Zulu", shared="on", pinned="on")
    _save(bob, name="Beta mine")
    page = bob.get("/create/image/").content.decode()
    zulu, alpha, beta = page.index(">★ Zulu ·"), page.index(">Alpha ·"), page.index(">Beta mine ·")
    assert zulu < alpha < beta  # pinned first, then by name
    assert Preset.objects.get(name="Zulu").pinned


def test_only_admins_pin_and_only_shared_presets(alice, bob, vera):
    _save(bob, name="Shared", shared="on")
    preset = Preset.objects.get(name="Shared")
    assert bob.post(f"/presets/{preset.pk}/pin/").status_code == 403
    assert vera.post(f"/presets/{preset.pk}/pin/").status_code == 403
    # A member's "pinned" box is not even on the form: it is ignored.
    _save(bob, name="Sneaky", shared="on", pinned="on")
    assert not Preset.objects.get(name="Sneaky").pinned
    assert alice.post(f"/presets/{preset.pk}/pin/").status_code == 302
    assert Preset.objects.get(pk=preset.pk).pinned
    response = _save(alice, name="Private pin", pinned="on")
    assert response.status_code == 400
    assert "Only shared presets can be pinned." in response.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "This field is required."),
        ({"name": "x", "prompt_template": "a {two words}"}, "is not a placeholder"),
        ({"name": "x", "prompt_template": "a {} b"}, "is not a placeholder"),
        ({"name": "x", "s_aspect_ratio": "7:3"}, "Select a valid choice"),
        (
            {"name": "x", "s_model": "gemini-3-pro-image-preview", "s_size": "512px"},
            "The chosen model does not offer this value.",
        ),
    ],
)
def test_bad_presets_are_refused_with_a_clear_message(bob, fields, message):
    response = _save(bob, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Preset.objects.exists()


def test_names_are_unique_per_owner_and_per_team(alice, bob):
    assert _save(bob, name="Banner").status_code == 302
    response = _save(bob, name="banner")
    assert "You already have a preset with this name." in response.content.decode()
    assert _save(alice, name="Banner").status_code == 302  # her own private one: fine
    assert _save(alice, name="Team banner", shared="on").status_code == 302
    response = _save(bob, name="TEAM BANNER", shared="on")
    assert "The team already shares a preset with this name." in response.content.decode()
    assert Preset.objects.count() == 3


def test_using_a_preset_asks_for_its_placeholders_then_fills_the_form(bob):
    _save(bob, name="Product", prompt_template="product photo of {product} on {surface}")
    preset = Preset.objects.get()
    ask = bob.get(f"/presets/{preset.pk}/use/", **HTMX).content.decode()
    assert 'name="ph_product"' in ask and 'name="ph_surface"' in ask
    assert 'hx-select="#create-form"' in ask
    page = bob.get(f"/create/image/?preset={preset.pk}&ph_product=a+teapot&ph_surface=oak")
    form = page.context["form"]
    assert form.initial["prompt"] == "product photo of a teapot on oak"
    assert form.initial["aspect_ratio"] == "4:5" and form.initial["size"] == "2K"
    assert form.initial["model"] == IMAGE["s_model"]
    # The picker's choice (a GET form, works without JavaScript) leads to the same question.
    picked = bob.get(f"/presets/pick/?kind=image&preset={preset.pk}").content.decode()
    assert 'name="ph_product"' in picked


def test_a_preset_of_another_kind_does_not_fill_a_form(bob):
    _save(bob, name="Still", prompt_template="a cat")
    preset = Preset.objects.get()
    page = bob.get(f"/create/video/?preset={preset.pk}")
    assert page.context["form"].initial.get("prompt") in (None, "")


def test_editing_a_preset_never_changes_a_task_made_with_it(bob, team_a, member_a):
    _save(bob, name="House", prompt_template="house style {thing}")
    preset = Preset.objects.get()
    initial = bob.get(f"/create/image/?preset={preset.pk}&ph_thing=lamp").context["form"].initial
    response = bob.post(
        "/create/image/",
        {
            "model": initial["model"],
            "prompt": initial["prompt"],
            "aspect_ratio": initial["aspect_ratio"],
            "size": initial["size"],
        },
    )
    assert response.status_code == 302
    task = Generation.objects.get()
    assert (task.prompt, task.params["aspect_ratio"]) == ("house style lamp", "4:5")
    edit = {**IMAGE, "name": "House", "prompt_template": "new {thing}", "s_aspect_ratio": "16:9"}
    assert bob.post(f"/presets/{preset.pk}/", edit).status_code == 302
    assert Preset.objects.get().settings["aspect_ratio"] == "16:9"
    task.refresh_from_db()
    assert (task.prompt, task.params["aspect_ratio"]) == ("house style lamp", "4:5")


def test_save_as_preset_from_the_create_form_and_from_reuse_settings(bob, team_a, member_a):
    form = {
        "from_form": "1",
        "kind": "image",
        "model": "gemini-3-pro-image-preview",
        "prompt": "banner for {event}",
        "aspect_ratio": "16:9",
        "size": "2K",
    }
    page = bob.post("/presets/new/", form, **HTMX)
    assert page.status_code == 200 and not Preset.objects.exists()  # asks for a name first
    preset_form = page.context["form"]
    assert preset_form.initial["prompt_template"] == "banner for {event}"
    assert preset_form.initial["s_aspect_ratio"] == "16:9"
    task = make_generation(
        team_a,
        member_a,
        prompt="a fox --ar 4:5",
        kind="mj",
        params={"base_prompt": "a fox", "flags": {"ar": "4:5", "stylize": 250}},
    )
    page = bob.get(f"/presets/new/?from={task.pk}")
    initial = page.context["form"].initial
    assert page.context["kind"] == "mj"
    assert initial["prompt_template"] == "a fox"
    assert initial["s_ar"] == "4:5" and initial["s_stylize"] == 250


def test_who_may_change_a_preset(team_a, alice, bob, vera, member_a):
    _save(bob, name="Bob shared", shared="on")
    _save(alice, name="Alice private")
    shared = Preset.objects.get(name="Bob shared")
    private = Preset.objects.get(name="Alice private")
    carol = make_user("carol@example.com", "Carol")
    Membership.objects.create(team=team_a, user=carol, role=Role.MEMBER)
    carol_client = client_for(carol)
    assert carol_client.get(f"/presets/{shared.pk}/").status_code == 404  # not hers
    assert carol_client.post(f"/presets/{shared.pk}/delete/").status_code == 404
    assert alice.get(f"/presets/{shared.pk}/").status_code == 200  # an admin, shared preset
    assert bob.post(f"/presets/{private.pk}/delete/").status_code == 404  # someone's private
    assert vera.post("/presets/new/", {**IMAGE, "name": "v"}).status_code == 403
    assert bob.post(f"/presets/{shared.pk}/delete/").status_code == 302
    assert not Preset.objects.filter(pk=shared.pk).exists()


def test_midjourney_and_video_presets_fill_their_own_forms(bob):
    mj = {"kind": "mj", "name": "MJ look", "prompt_template": "{thing}, film grain"}
    mj.update({"s_ar": "3:4", "s_version": "7", "s_stylize": "250"})
    assert bob.post("/presets/new/", mj).status_code == 302
    video = {"kind": "video", "name": "Clip", "prompt_template": "slow pan over {place}"}
    video.update({"s_model": "ima-pro-fast", "s_role_mode": "reference", "s_duration": "10"})
    video.update({"s_resolution": "480p", "s_aspect_ratio": "9:16", "s_audio": "on"})
    assert bob.post("/presets/new/", video).status_code == 302
    mj_preset, video_preset = Preset.objects.get(kind="mj"), Preset.objects.get(kind="video")
    form = bob.get(f"/create/midjourney/?preset={mj_preset.pk}&ph_thing=a+lighthouse")
    initial = form.context["form"].initial
    assert initial["prompt"] == "a lighthouse, film grain"
    assert (initial["ar"], initial["version"], initial["stylize"]) == ("3:4", "7", 250)
    form = bob.get(f"/create/video/?preset={video_preset.pk}&ph_place=hills")
    initial = form.context["form"].initial
    assert initial["prompt"] == "slow pan over hills" and initial["model"] == "ima-pro-fast"
    assert (initial["duration"], initial["resolution"], initial["audio"]) == (10, "480p", True)


def test_the_use_page_of_the_preset_list_goes_to_the_form_as_a_page(bob):
    _save(bob, name="Page", prompt_template="poster of {event}")
    preset = Preset.objects.get()
    page = bob.get(f"/presets/{preset.pk}/use/").content.decode()
    assert 'action="/create/image/"' in page and "hx-select" not in page  # on the create form
    assert (
        'hx-select="#create-form"' in bob.get(f"/presets/{preset.pk}/use/", **HTMX).content.decode()
    )
