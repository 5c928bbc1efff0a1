"""Create forms, cards, the page poller, MJ actions, retry and history, per persona."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gallery.generation import worker
from gallery.models import Generation, Kind, ReferenceUpload, State
from tests.conftest import HTMX
from tests.factories import make_generation, make_item, png_bytes
from zcheap.types import ImageTask

pytestmark = pytest.mark.django_db
IMAGE = {
    "model": "gemini-3-pro-image-preview",
    "prompt": "a red fox",
    "aspect_ratio": "16:9",
    "size": "2K",
}


@pytest.fixture(autouse=True)
def _capture_starts(monkeypatch):
    started = []
    monkeypatch.setattr("gallery.generation.tasks.start_generation", started.append)
    monkeypatch.setattr("gallery.generation.creating.start_generation", started.append)
    return started


def test_a_member_creates_an_image_and_is_redirected_to_see_the_card(bob, _capture_starts):
    response = bob.post("/create/image/", IMAGE)
    assert response.status_code == 302
    generation = Generation.objects.get()
    assert (generation.kind, generation.state, generation.model) == (
        Kind.IMAGE,
        State.QUEUED,
        IMAGE["model"],
    )
    assert generation.params == {"aspect_ratio": "16:9", "size": "2K"}
    assert _capture_starts == [generation]
    page = bob.get("/create/image/").content.decode()
    assert f'id="gen-{generation.pk}"' in page and "a red fox" in page


def test_htmx_create_answers_with_a_fresh_form_the_new_card_and_a_live_poller(bob):
    body = bob.post("/create/image/", IMAGE, **HTMX).content.decode()
    generation = Generation.objects.get()
    assert 'id="create-form"' in body
    assert f'id="gen-{generation.pk}"' in body and 'hx-swap-oob="afterbegin"' in body
    assert 'id="poller" hx-swap-oob="true"' in body and "every 2s" in body


def test_the_form_after_create_keeps_how_many_pictures_was_chosen(bob):
    body = bob.post("/create/image/", {**IMAGE, "count": "3"}, **HTMX).content.decode()
    assert Generation.objects.count() == 3
    assert re.search(r'<option value="3"\s+selected', body), "count went back to 1"


def test_viewers_see_a_notice_instead_of_the_form_and_cannot_post(vera):
    for url in ("/create/image/", "/create/midjourney/", "/create/video/"):
        page = vera.get(url).content.decode()
        assert "You are a viewer in this team" in page
        assert 'id="create-form"' not in page
    assert vera.post("/create/image/", IMAGE).status_code == 403
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**IMAGE, "prompt": ""}, "This field is required"),
        ({**IMAGE, "aspect_ratio": "1:8"}, "does not make 1:8 images"),
        ({**IMAGE, "size": "512px"}, "does not offer the 512px size"),
        ({**IMAGE, "reference_urls": "ftp://x/y.png"}, "is not an http(s) link"),
        (
            {**IMAGE, "reference_urls": "\n".join(f"https://e.com/{i}.png" for i in range(15))},
            "at most 14",
        ),
    ],
)
def test_the_image_form_explains_what_is_wrong(bob, data, message):
    response = bob.post("/create/image/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Generation.objects.exists()


def test_it_accepts_an_uploaded_reference_and_refuses_a_fake_one(bob):
    good = SimpleUploadedFile("fox.png", png_bytes(), content_type="image/png")
    assert bob.post("/create/image/", {**IMAGE, "reference_files": [good]}).status_code == 302
    upload = ReferenceUpload.objects.get()
    assert Generation.objects.get().params["reference_uploads"] == [upload.pk]
    fake = SimpleUploadedFile("fox.png", b"<script>alert(1)</script>", content_type="image/png")
    response = bob.post("/create/image/", {**IMAGE, "reference_files": [fake]})
    assert response.status_code == 400 and "not an image we can read" in response.content.decode()


def test_it_refuses_an_oversized_upload(bob, settings):
    settings.UPLOAD_MAX_BYTES = 100
    big = SimpleUploadedFile("big.png", png_bytes((200, 200)), content_type="image/png")
    response = bob.post("/create/image/", {**IMAGE, "reference_files": [big]})
    assert "larger than" in response.content.decode()


def test_mj_imagine_writes_the_flags_into_the_prompt(bob):
    bob.post(
        "/create/midjourney/",
        {
            "prompt": "a castle",
            "ar": "16:9",
            "version": "7",
            "stylize": "250",
            "no": "people",
            "seed": "42",
            "speed": "fast",
        },
    )
    generation = Generation.objects.get()
    assert (
        generation.prompt == "a castle --ar 16:9 --v 7 --stylize 250 --no people --seed 42 --fast"
    )
    assert generation.params["base_prompt"] == "a castle" and generation.action == "imagine"


def test_flags_typed_by_hand_win_over_the_helpers(bob):
    bob.post(
        "/create/midjourney/", {"prompt": "a castle --ar 1:1", "ar": "16:9", "version": "niji 6"}
    )
    assert Generation.objects.get().prompt == "a castle --ar 1:1 --niji 6"


def test_blend_needs_two_to_five_images(bob):
    one = bob.post(
        "/create/midjourney/?mode=blend",
        {"mode": "blend", "dimensions": "SQUARE", "reference_urls": "https://e.com/a.png"},
    )
    assert "at least 2" in one.content.decode()
    ok = bob.post(
        "/create/midjourney/?mode=blend",
        {
            "mode": "blend",
            "dimensions": "PORTRAIT",
            "reference_urls": "https://e.com/a.png\nhttps://e.com/b.png",
        },
    )
    assert ok.status_code == 302
    assert Generation.objects.get().action == "blend"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"model": "ima-pro", "prompt": ""}, "give at least one image"),
        ({"model": "ima-pro", "prompt": "x", "role_mode": "frame"}, "needs one image"),
        (
            {
                "model": "ima-pro",
                "prompt": "x",
                "role_mode": "frame",
                "reference_urls": "https://e.com/a.png",
                "reference_video_urls": "https://e.com/v.mp4",
            },
            "cannot be combined",
        ),
        ({"model": "ima-pro-fast", "prompt": "x", "resolution": "1080p"}, "720p videos only"),
    ],
)
def test_the_video_form_enforces_the_contract_rules(bob, data, message):
    base = {"role_mode": "reference", "duration": "5", "resolution": "720p", "aspect_ratio": "16:9"}
    response = bob.post("/create/video/", {**base, **data})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_video_from_a_first_frame_needs_no_prompt(bob, team_a, owner_a):
    item = make_item(make_generation(team_a, owner_a))
    response = bob.post(
        "/create/video/",
        {
            "model": "ima-pro",
            "role_mode": "frame",
            "duration": "4",
            "resolution": "720p",
            "aspect_ratio": "9:16",
            "reference_items": [item.pk],
        },
    )
    assert response.status_code == 302
    generation = Generation.objects.filter(kind=Kind.VIDEO).get()
    assert generation.params["role_mode"] == "frame" and generation.params["reference_items"] == [
        item.pk
    ]
    assert list(generation.source_items.all()) == [item]


def test_edit_and_retry_prefills_the_form(bob, team_a, member_a):
    source = make_generation(
        team_a, member_a, prompt="old fox", params={"aspect_ratio": "3:2", "size": "2K"}
    )
    page = bob.get(f"/create/image/?from={source.pk}").content.decode()
    assert "old fox</textarea>" in page
    assert '<option value="3:2" selected' in page


def test_reuse_cannot_read_another_teams_generation(olga, team_a, owner_a):
    secret = make_generation(team_a, owner_a, prompt="team a secret")
    assert "team a secret" not in olga.get(f"/create/image/?from={secret.pk}").content.decode()


def test_retry_makes_a_new_task_with_the_same_settings(bob, team_a, member_a, _capture_starts):
    failed = make_generation(
        team_a, member_a, state=State.FAILED, params={"size": "1K"}, error_message="boom"
    )
    body = bob.post(f"/tasks/{failed.pk}/again/", **HTMX).content.decode()
    clone = Generation.objects.exclude(pk=failed.pk).get()
    assert (
        clone.params == failed.params and clone.state == State.QUEUED and clone.user == failed.user
    )
    assert f'id="gen-{clone.pk}"' in body and _capture_starts == [clone]


def test_cancel_stops_tracking_an_active_task(bob, team_a, member_a):
    running = make_generation(team_a, member_a, state=State.RUNNING)
    bob.post(f"/tasks/{running.pk}/cancel/")
    running.refresh_from_db()
    assert running.state == State.CANCELLED


def test_members_cannot_cancel_someone_elses_task(bob, team_a, owner_a):
    running = make_generation(team_a, owner_a, state=State.RUNNING)
    assert bob.post(f"/tasks/{running.pk}/cancel/").status_code == 404


class TestThePoller:
    def test_it_returns_only_cards_that_changed_since_the_page_showed_them(
        self, bob, team_a, member_a
    ):
        old = make_generation(team_a, member_a, state=State.RUNNING)
        fresh = make_generation(team_a, member_a, state=State.RUNNING)
        shown = {g.pk: g.version for g in (old, fresh)}  # what the page rendered
        fresh.transition(State.RUNNING, State.RUNNING, progress=50)
        ids = ",".join(f"{pk}:{version}" for pk, version in shown.items())
        body = bob.get(f"/tasks/poll/?ids={ids}", **HTMX).content.decode()
        assert f"#gen-{fresh.pk}" in body and f"#gen-{old.pk}" not in body
        assert "every 2s" in body

    def test_a_card_added_later_does_not_hide_an_older_cards_change(self, bob, team_a, member_a):
        """The page got card A, then created card B; A changed in between: A must come back."""
        a = make_generation(team_a, member_a, state=State.SUBMITTED)
        a_shown = a.version
        a.transition(State.SUBMITTED, State.RUNNING)
        page = bob.post("/create/image/", {**IMAGE, "prompt": "b"}, **HTMX).content.decode()
        b = Generation.objects.exclude(pk=a.pk).get()
        assert f'data-active-card="{b.pk}:{b.version}"' in page
        body = bob.get(f"/tasks/poll/?ids={a.pk}:{a_shown},{b.pk}:{b.version}", **HTMX)
        body = body.content.decode()
        assert f"#gen-{a.pk}" in body and f"#gen-{b.pk}" not in body

    def test_a_poll_that_brings_nothing_new_sends_no_card(self, bob, team_a, member_a):
        """Zcheap says "processing" again and again: the card stays as the page shows it."""
        running = make_generation(team_a, member_a, state=State.RUNNING, progress=50)
        shown = running.version
        for _ in range(3):
            phase = worker.apply_poll(
                running, ImageTask(task_id="t1", status="processing"), timezone.now()
            )
            assert phase == "running"
        running.refresh_from_db()
        assert running.next_poll_at is not None  # the worker did write the row
        body = bob.get(f"/tasks/poll/?ids={running.pk}:{shown}", **HTMX).content.decode()
        assert f"#gen-{running.pk}" not in body and "every 2s" in body
        running.transition(State.RUNNING, State.RUNNING, progress=60)
        body = bob.get(f"/tasks/poll/?ids={running.pk}:{shown}", **HTMX).content.decode()
        assert f"#gen-{running.pk}" in body  # progress moved: the card comes back

    def test_it_answers_286_and_stops_when_nothing_is_active(self, bob, team_a, member_a):
        done = make_generation(team_a, member_a, state=State.DONE)
        response = bob.get(f"/tasks/poll/?ids={done.pk}", **HTMX)
        assert response.status_code == 286
        body = response.content.decode()
        assert f"#gen-{done.pk}" in body and "hx-trigger" not in body

    def test_it_ignores_other_teams_ids(self, olga, team_a, owner_a):
        secret = make_generation(team_a, owner_a, state=State.RUNNING, prompt="team a secret")
        body = olga.get(f"/tasks/poll/?ids={secret.pk}", **HTMX).content.decode()
        assert "team a secret" not in body


class TestMidjourneyActions:
    @pytest.fixture
    def grid(self, team_a, owner_a):
        generation = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY)
        for i in range(4):
            make_item(generation, i)
        return generation

    @pytest.mark.parametrize(
        ("data", "action", "index", "params"),
        [
            ({"do": "upscale:2"}, "upscale", 2, {}),
            ({"do": "high_variation:3"}, "high_variation", 3, {}),
            ({"do": "reroll:1"}, "reroll", 1, {}),
            ({"do": "zoom:4:1.5"}, "zoom", 4, {"scale": 1.5}),
            ({"do": "pan:1:left"}, "pan", 1, {"direction": "left", "scale": 1.5}),
            (
                {"action": "custom_zoom", "index": "2", "scale": "1.3"},
                "custom_zoom",
                2,
                {"scale": 1.3},
            ),
            (
                {"action": "remix", "index": "1", "remix_prompt": "at night", "mode": "strong"},
                "remix",
                1,
                {"remix_prompt": "at night", "mode": "strong"},
            ),
        ],
    )
    def test_each_action_creates_a_linked_child_task(self, bob, grid, data, action, index, params):
        assert bob.post(f"/tasks/{grid.pk}/mj/", data).status_code == 302
        child = Generation.objects.get(parent=grid)
        assert (child.action, child.parent_index, child.params) == (action, index, params)
        assert child.source_items.get().index == index - 1

    def test_vary_region_stores_the_painted_mask(self, bob, grid):
        import base64
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("L", (64, 48), 255).save(out, format="PNG")  # the size of the picture
        mask = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
        bob.post(f"/tasks/{grid.pk}/mj/", {"action": "inpaint", "index": "2", "mask": mask})
        child = Generation.objects.get(parent=grid)
        assert ReferenceUpload.objects.get(pk=child.params["mask_upload"]).width == 64

    def test_an_empty_mask_is_refused(self, bob, grid):
        import base64
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("L", (32, 32), 0).save(out, format="PNG")
        mask = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
        bob.post(f"/tasks/{grid.pk}/mj/", {"action": "inpaint", "index": "2", "mask": mask})
        assert not Generation.objects.filter(parent=grid).exists()

    def test_actions_need_a_finished_midjourney_parent(self, bob, team_a, owner_a):
        running = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, state=State.RUNNING)
        bob.post(f"/tasks/{running.pk}/mj/", {"do": "upscale:1"})
        image = make_generation(team_a, owner_a)
        bob.post(f"/tasks/{image.pk}/mj/", {"do": "upscale:1"})
        assert not Generation.objects.filter(parent__isnull=False).exists()

    def test_bad_values_are_explained(self, bob, grid):
        response = bob.post(f"/tasks/{grid.pk}/mj/", {"action": "remix", "index": "1"}, follow=True)
        assert "Write the new prompt" in response.content.decode()
        assert not Generation.objects.filter(parent=grid).exists()

    def test_the_card_offers_every_action(self, bob, grid):
        page = bob.get(f"/tasks/{grid.pk}/").content.decode()
        for value in (
            "upscale:1",
            "upscale:4",
            "low_variation:2",
            "high_variation:2",
            "reroll:1",
            "zoom:3:2",
            "pan:4:down",
            f"/tasks/{grid.pk}/mj/region/3/",
            'value="custom_zoom"',
            'value="remix"',
        ):
            assert value in page, value


class TestHistory:
    def test_it_shows_my_tasks_or_the_teams_newest_first(self, bob, team_a, owner_a, member_a):
        make_generation(team_a, member_a, prompt="bobs fox")
        make_generation(team_a, owner_a, prompt="alices owl")
        page = bob.get("/history/").content.decode()
        assert "bobs fox" in page and "alices owl" not in page
        team = bob.get("/history/?scope=team").content.decode()
        assert team.index("alices owl") < team.index("bobs fox")  # newest first

    def test_it_filters_by_member_kind_and_state(self, bob, team_a, owner_a, member_a):
        make_generation(team_a, owner_a, kind=Kind.VIDEO, state=State.FAILED, prompt="owl video")
        make_generation(team_a, owner_a, kind=Kind.IMAGE, state=State.DONE, prompt="owl image")
        page = bob.get(
            f"/history/?scope=team&member={owner_a.pk}&kind=video&state=failed"
        ).content.decode()
        assert "owl video" in page and "owl image" not in page

    def test_it_paginates(self, bob, team_a, member_a):
        for i in range(30):
            make_generation(team_a, member_a, prompt=f"fox number {i}")
        first = bob.get("/history/").content.decode()
        older = re.search(r'href="\?(before=[0-9_]+)"', first).group(1)
        second = bob.get(f"/history/?{older}").content.decode()

        def shown(page, i):
            return f'title="fox number {i}"' in page

        assert shown(first, 29) and shown(first, 6) and not shown(first, 5)
        assert shown(second, 5) and shown(second, 0) and not shown(second, 6)
        assert "&amp;before=" not in second and 'href="?before=' not in second  # the end
        assert 'href="?"' in second  # back to the newest

    def test_tasks_made_in_the_same_instant_are_each_shown_once(self, bob, team_a, member_a):
        same = timezone.now()
        made = [
            make_generation(team_a, member_a, prompt=f"twin {i}", created_at=same)
            for i in range(30)
        ]
        first = bob.get("/history/").content.decode()
        older = re.search(r'href="\?(before=[0-9_]+)"', first).group(1)
        second = bob.get(f"/history/?{older}").content.decode()
        for g in made:
            assert (f'id="gen-{g.pk}"' in first) != (f'id="gen-{g.pk}"' in second), g.pk

    @pytest.mark.parametrize("cursor", ["x", "1_", "_1", "9" * 30 + "_1", "-5_3", "²_1"])
    def test_a_malformed_cursor_shows_the_newest(self, bob, team_a, member_a, cursor):
        make_generation(team_a, member_a, prompt="still here")
        response = bob.get(f"/history/?before={cursor}")
        assert response.status_code == 200 and "still here" in response.content.decode()

    def test_an_empty_filter_says_so(self, bob):
        assert "No tasks match these filters." in bob.get("/history/?kind=video").content.decode()


def test_actions_never_redirect_off_site(bob, team_a, member_a):
    failed = make_generation(team_a, member_a, state=State.FAILED)
    response = bob.post(f"/tasks/{failed.pk}/again/", {"next": "https://evil.example/phish"})
    assert response["Location"] == "/history/"
    running = make_generation(team_a, member_a, state=State.RUNNING)
    response = bob.post(f"/tasks/{running.pk}/cancel/", {"next": "//evil.example/"})
    assert response["Location"] == "/history/"


@pytest.mark.parametrize("ids", ["5:²", "²", "٣:1", "1:" + "9" * 40, "9" * 40])
def test_the_poller_shrugs_off_odd_ids(bob, ids):
    assert bob.get(f"/tasks/poll/?ids={ids}", **HTMX).status_code in (200, 286)


@pytest.mark.parametrize(
    "url",
    [
        "/gallery/?board=²&member=²&after=²",
        "/gallery/?after=" + "9" * 40,
        "/gallery/?member=" + "9" * 40 + "&board=" + "9" * 40,
        "/history/?scope=team&member=" + "9" * 40,
        "/create/video/?from=" + "9" * 40 + "&ref_item=" + "9" * 40,
        "/history/?scope=team&member=²",
        "/create/image/?from=²&ref_item=²",
    ],
)
def test_odd_numbers_in_query_strings_never_give_a_500(bob, url):
    assert bob.get(url).status_code == 200


class TestAGridWithOnePictureInTheTrash:
    """One of four MJ pictures deleted from the gallery: its cell says so instead of showing a
    broken image whose URL 404s on every load and poll."""

    @pytest.fixture
    def grid(self, team_a, member_a):
        generation = make_generation(team_a, member_a, kind=Kind.MIDJOURNEY)
        items = [make_item(generation, i) for i in range(4)]
        items[2].deleted_at = timezone.now()
        items[2].deleted_by = member_a
        items[2].save(update_fields=["deleted_at", "deleted_by"])
        return generation, items

    def test_the_owner_sees_in_trash_with_restore(self, bob, grid):
        generation, items = grid
        page = bob.get("/history/").content.decode()
        card = page[page.index(f'id="gen-{generation.pk}"') :]
        assert f"/media/{items[2].pk}/small/" not in card
        assert f"/media/{items[1].pk}/small/" in card
        assert f'data-trashed-item="{items[2].pk}"' in card and "In Trash" in card
        assert f'name="item" value="{items[2].pk}"' in card  # the Restore form
        bob.post("/gallery/restore/", {"item": items[2].pk, "next": "/history/"})
        page = bob.get("/history/").content.decode()
        assert f"/media/{items[2].pk}/small/" in page and "In Trash" not in page

    def test_a_viewer_sees_the_placeholder_without_restore(self, vera, grid):
        generation, items = grid
        page = vera.get("/history/?scope=team").content.decode()
        assert f'data-trashed-item="{items[2].pk}"' in page
        assert f"/media/{items[2].pk}/small/" not in page
        assert f'name="item" value="{items[2].pk}"' not in page


class TestStopWaitingWhileSending:
    """A submit in flight may already be at Zcheap (and billed): it cannot be dropped, the card
    says so instead of offering a button that does nothing, and a cancel posted anyway says why."""

    def test_the_card_offers_no_stop_while_submitting_and_says_why(self, bob, team_a, member_a):
        sending = make_generation(team_a, member_a, state=State.SUBMITTING)
        page = bob.get("/history/").content.decode()
        card = page[page.index(f'id="gen-{sending.pk}"') :]
        assert f"/tasks/{sending.pk}/cancel/" not in card
        assert "cannot be stopped yet" in card

    def test_a_cancel_posted_while_submitting_leaves_the_task_tracked_and_explains(
        self, bob, team_a, member_a
    ):
        sending = make_generation(team_a, member_a, state=State.SUBMITTING)
        body = bob.post(f"/tasks/{sending.pk}/cancel/", **HTMX).content.decode()
        sending.refresh_from_db()
        assert sending.state == State.SUBMITTING
        assert 'id="messages" hx-swap-oob' in body and "cannot be stopped yet" in body
        response = bob.post(f"/tasks/{sending.pk}/cancel/", {"next": "/history/"}, follow=True)
        assert "cannot be stopped yet" in response.content.decode()

    def test_a_cancel_of_a_finished_task_says_there_was_nothing_to_stop(
        self, bob, team_a, member_a
    ):
        done = make_generation(team_a, member_a, state=State.DONE)
        body = bob.post(f"/tasks/{done.pk}/cancel/", **HTMX).content.decode()
        assert "nothing to stop" in body

    def test_a_running_task_still_stops_with_a_message(self, bob, team_a, member_a):
        running = make_generation(team_a, member_a, state=State.RUNNING)
        body = bob.post(f"/tasks/{running.pk}/cancel/", **HTMX).content.decode()
        running.refresh_from_db()
        assert running.state == State.CANCELLED and "Stopped waiting" in body
