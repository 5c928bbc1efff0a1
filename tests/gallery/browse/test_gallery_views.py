"""The team gallery per persona: grid, filters, search, detail, favourites, delete/undo, boards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team
from gallery.models import Board, Favourite, Kind, MediaItem
from tests.conftest import HTMX
from tests.factories import make_generation, make_item
from tests.html import gallery_items, parse

pytestmark = pytest.mark.django_db


def item_for(team, user, prompt="a red fox", kind=Kind.IMAGE, **fields):
    return make_item(make_generation(team, user, kind=kind, prompt=prompt, **fields))


def test_members_and_viewers_browse_the_teams_results_newest_first(team_a, owner_a, bob, vera):
    old = item_for(team_a, owner_a, "old owl")
    new = item_for(team_a, owner_a, "new fox")
    for client in (bob, vera):
        assert gallery_items(client.get("/gallery/").content) == [new.pk, old.pk]


def test_outsiders_see_only_their_own_team(team_a, owner_a, olga):
    item_for(team_a, owner_a, "team a secret")
    page = olga.get("/gallery/").content.decode()
    assert "team a secret" not in page and "Nothing here yet" in page


def test_tiles_escape_prompts_and_shorten_long_ones(team_a, owner_a, bob):
    item_for(team_a, owner_a, '"><script>alert(1)</script> fox')
    item_for(team_a, owner_a, "long " * 40)
    page = parse(bob.get("/gallery/").content)
    assert not [s for s in page.find_all("script") if "alert(1)" in s.text]  # text, not a script
    alts = {img.attrs.get("alt") for img in page.find_all("img")}
    assert '"><script>alert(1)</script> fox' in alts
    assert ("long " * 16)[:79] + "…" in alts


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("kind=video", "moving tea", "red fox"),
        ("q=fox+snow", "red fox in snow", "red fox at night"),
        ("q=TEA", "moving tea", "red fox"),
    ],
)
def test_filters_and_search(team_a, owner_a, bob, query, shown, hidden):
    items = {
        prompt: item_for(team_a, owner_a, prompt, **fields).pk
        for prompt, fields in [
            ("red fox in snow", {}),
            ("red fox at night", {}),
            ("moving tea", {"kind": Kind.VIDEO, "model": "ima-pro"}),
        ]
    }
    found = set(gallery_items(bob.get(f"/gallery/?{query}").content))
    assert {pk for prompt, pk in items.items() if shown in prompt} <= found
    assert not {pk for prompt, pk in items.items() if hidden in prompt} & found


def test_member_model_and_date_filters(team_a, owner_a, member_a, bob):
    mine = item_for(team_a, member_a, "bobs image", model="gemini-3.1-flash-image-preview")
    hers = item_for(team_a, owner_a, "alices image")
    MediaItem.objects.filter(pk=mine.pk).update(created_at=timezone.now() - timedelta(days=10))

    def shown(query: str) -> list[int]:
        return gallery_items(bob.get(f"/gallery/?{query}").content)

    assert shown(f"member={member_a.pk}") == [mine.pk]  # what Bob made, and only that
    assert shown(f"member={owner_a.pk}") == [hers.pk]
    assert shown("model=gemini-3.1-flash-image-preview") == [mine.pk]
    recent = (timezone.now() - timedelta(days=2)).date().isoformat()
    assert shown(f"from={recent}") == [hers.pk]
    assert bob.get("/gallery/?from=not-a-date&member=x&board=y").status_code == 200


def test_htmx_filtering_returns_just_the_grid(team_a, owner_a, bob):
    item_for(team_a, owner_a, "red fox")
    body = bob.get("/gallery/?q=fox", HTTP_HX_TARGET="grid", **HTMX).content.decode()
    top = parse(body).find_all()
    assert top[0].tag == "div" and top[0].attrs.get("id") == "grid"  # no page around it
    assert not parse(body).find_all("html") and gallery_items(top[0])


def test_infinite_scroll_pages_by_cursor_and_works_without_javascript(team_a, owner_a, bob):
    items = [item_for(team_a, owner_a, f"n{i}") for i in range(65)]
    first = bob.get("/gallery/").content.decode()
    cursor = items[5].pk  # 60 newest shown: items[64]..items[5]
    assert gallery_items(first) == [i.pk for i in reversed(items[5:])]
    more = parse(first).find(hx_trigger="revealed")  # loads the next page when scrolled to
    assert f"after={cursor}" in more.attrs["hx-get"]
    assert [a for a in parse(first).find_all("a") if f"after={cursor}" in a.attrs.get("href", "")]
    rest = bob.get(f"/gallery/?after={cursor}", **HTMX).content.decode()
    assert gallery_items(rest) == [i.pk for i in reversed(items[:5])]
    assert "after=" not in rest  # the end


def test_the_grid_costs_the_same_number_of_queries_at_100_and_300_items(team_a, owner_a, bob):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert bob.get("/gallery/").status_code == 200
        return len(queries)

    generation = make_generation(team_a, owner_a)
    for i in range(100):
        make_item(generation, i)
    count()  # warm-up: the first request also stores the current team in the session
    at_100 = count()
    for i in range(100, 300):
        make_item(generation, i)
    assert count() == at_100


def test_the_detail_shows_everything_and_its_lineage(team_a, owner_a, bob):
    source = item_for(team_a, owner_a, "source image", usage={"total_tokens": 1514})
    video = make_generation(
        team_a, owner_a, kind=Kind.VIDEO, prompt="animated", params={"role_mode": "frame"}
    )
    video.source_items.add(source)
    child = make_item(video)
    page = parse(bob.get(f"/gallery/{source.pk}/").content)
    assert "source image" in page.text and "1514 tokens" in page.words and "Alice" in page.text
    assert child.pk in gallery_items(bob.get(f"/gallery/{source.pk}/").content)  # "used for"
    back = bob.get(f"/gallery/{child.pk}/").content
    assert source.pk in gallery_items(back)  # "made from"
    assert parse(back).find_all("a", href=f"/create/video/?from={video.pk}")


def test_detail_links_to_reuse_and_use_as_reference(team_a, owner_a, bob):
    item = item_for(team_a, owner_a)
    links = [
        a.attrs.get("href", "")
        for a in parse(bob.get(f"/gallery/{item.pk}/").content).find_all("a")
    ]
    for link in (
        f"/create/image/?from={item.generation_id}",
        f"/create/image/?ref_item={item.pk}",
        f"ref_item={item.pk}&as=frame",
        f"mode=blend&ref_item={item.pk}",
        "?download=1",
    ):
        assert any(link in href for href in links), link


def test_use_as_reference_prefills_the_forms(team_a, owner_a, bob):
    item = item_for(team_a, owner_a)
    image_form = parse(bob.get(f"/create/image/?ref_item={item.pk}").content)
    assert image_form.find("input", value=item.pk, checked=True)
    video_form = parse(bob.get(f"/create/video/?ref_item={item.pk}&as=frame").content)
    assert video_form.find("input", name="role_mode", value="frame", checked=True)
    assert video_form.find("input", value=item.pk, checked=True)


def test_favourites_are_per_person_and_filterable(team_a, owner_a, bob, alice, vera):
    item = item_for(team_a, owner_a, "loved one")
    other = item_for(team_a, owner_a, "ignored one")
    body = bob.post(f"/gallery/{item.pk}/favourite/", **HTMX).content.decode()
    assert parse(body).find(aria_pressed="true")
    assert gallery_items(bob.get("/gallery/?fav=1").content) == [item.pk]
    assert gallery_items(alice.get("/gallery/?fav=1").content) == []
    bob.post(f"/gallery/{item.pk}/favourite/")
    assert not Favourite.objects.exists()
    assert vera.post(f"/gallery/{other.pk}/favourite/").status_code == 403


def test_members_delete_their_own_with_undo_admins_anyones(team_a, owner_a, member_a, bob, alice):
    bobs = item_for(team_a, member_a, "bobs")
    alices = item_for(team_a, owner_a, "alices")
    assert bob.post(f"/gallery/{alices.pk}/delete/").status_code == 404
    response = bob.post(f"/gallery/{bobs.pk}/delete/", follow=True)
    page = parse(response.content)
    assert "Changed your mind? Press Undo." in page.text
    assert page.find("input", name="items_csv", value=bobs.pk)  # the Undo button's form
    assert bobs.pk not in gallery_items(bob.get("/gallery/").content)
    assert bob.get(f"/media/{bobs.pk}/").status_code == 404
    bob.post("/gallery/restore/", {"items_csv": str(bobs.pk)})
    assert bobs.pk in gallery_items(bob.get("/gallery/").content)
    alice.post(f"/gallery/{bobs.pk}/delete/")
    bobs.refresh_from_db()
    assert bobs.deleted_at is not None and bobs.deleted_by == owner_a


def test_viewers_cannot_delete(team_a, owner_a, vera):
    item = item_for(team_a, owner_a)
    assert vera.post(f"/gallery/{item.pk}/delete/").status_code == 403


def test_boards_private_or_shared(team_a, owner_a, member_a, bob, alice):
    item = item_for(team_a, owner_a, "boarded")
    bob.post(f"/gallery/{item.pk}/board/", {"new_board": "Bobs picks"})
    private = Board.objects.get(name="Bobs picks")
    assert not private.shared and list(private.items.all()) == [item]
    assert gallery_items(bob.get(f"/gallery/?board={private.pk}").content) == [item.pk]
    assert "Bobs picks" not in alice.get("/boards/").content.decode()
    assert alice.post(f"/gallery/{item.pk}/board/", {"board": private.pk}).status_code == 404
    bob.post(f"/gallery/{item.pk}/board/", {"new_board": "Team picks", "shared": "1"})
    assert "Team picks" in alice.get("/boards/").content.decode()


def test_a_smart_board_keeps_the_search_and_shows_new_matches(team_a, owner_a, bob):
    bob.post("/boards/new/", {"name": "Foxes", "smart": "1", "query": "q=fox"})
    board = Board.objects.get(name="Foxes")
    assert board.is_smart
    later = item_for(team_a, owner_a, "a fox made later")
    item_for(team_a, owner_a, "an owl")
    assert gallery_items(bob.get(f"/gallery/?{board.query}").content) == [later.pk]


def test_an_mj_action_lists_only_the_image_it_acted_on_as_its_source(team_a, owner_a, bob):
    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="grid")
    quadrants = [make_item(grid, i) for i in range(4)]
    upscale = make_generation(
        team_a, owner_a, kind=Kind.MIDJOURNEY, action="upscale", parent=grid, parent_index=2
    )
    result = make_item(upscale)
    shown = gallery_items(parse(bob.get(f"/gallery/{result.pk}/").content).find(class_="lineage"))
    assert quadrants[1].pk in shown
    assert not {quadrants[0].pk, quadrants[2].pk, quadrants[3].pk} & set(shown)


def test_the_detail_steps_to_the_teams_next_live_items_and_marks_my_favourite(
    team_a, owner_a, team_b, owner_b, bob, alice
):
    older = item_for(team_a, owner_a, "older")
    deleted = item_for(team_a, owner_a, "deleted")
    item = item_for(team_a, owner_a, "this one")
    item_for(team_b, owner_b, "another team's")
    newer = item_for(team_a, owner_a, "newer")
    MediaItem.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    Favourite.objects.create(user=owner_a, item=item)

    page = parse(bob.get(f"/gallery/{item.pk}/").content)
    assert page.find("a", data_nav="newer").attrs["href"] == f"/gallery/{newer.pk}/"
    assert page.find("a", data_nav="older").attrs["href"] == f"/gallery/{older.pk}/"
    assert page.find("button", aria_pressed="false")  # Alice's favourite, not Bob's
    assert parse(alice.get(f"/gallery/{item.pk}/").content).find("button", aria_pressed="true")
    first = parse(bob.get(f"/gallery/{newer.pk}/").content)
    assert not first.find_all("a", data_nav="newer")  # the team's newest live item


def test_a_grid_picture_lists_the_upscale_made_from_it(team_a, owner_a, bob):
    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="grid")
    quadrants = [make_item(grid, i) for i in range(4)]
    upscale = make_generation(
        team_a, owner_a, kind=Kind.MIDJOURNEY, action="upscale", parent=grid, parent_index=2
    )
    result = make_item(upscale)
    lineage = parse(bob.get(f"/gallery/{quadrants[1].pk}/").content).find(class_="lineage")
    assert gallery_items(lineage) == [result.pk]
    assert not parse(bob.get(f"/gallery/{quadrants[0].pk}/").content).find_all(class_="lineage")


class TestSelection:
    def test_it_streams_a_zip_of_the_selected_originals(self, team_a, owner_a, vera):
        import io
        import zipfile

        from django.http import StreamingHttpResponse

        from tests.factories import png_bytes

        a = make_item(
            make_generation(team_a, owner_a, prompt="red fox"), data=png_bytes(colour=(255, 0, 0))
        )
        b = make_item(
            make_generation(team_a, owner_a, prompt="blue owl"), data=png_bytes(colour=(0, 0, 255))
        )
        response = vera.post("/gallery/download.zip", {"item": [a.pk, b.pk]})
        assert (
            isinstance(response, StreamingHttpResponse)
            and response["Content-Type"] == "application/zip"
        )
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert sorted(archive.namelist()) == sorted([f"{a.pk}-red-fox.png", f"{b.pk}-blue-owl.png"])
        with a.file.open("rb") as original:
            assert archive.read(f"{a.pk}-red-fox.png") == original.read()

    def test_the_zip_leaves_out_other_teams_items(self, team_a, owner_a, olga):
        secret = make_item(make_generation(team_a, owner_a))
        response = olga.post("/gallery/download.zip", {"item": [secret.pk]})
        assert response.status_code == 302  # nothing of theirs can be selected: back, no ZIP
        assert response.get("Content-Type") != "application/zip"

    def test_bulk_add_to_board_and_delete_with_undo(self, team_a, owner_a, member_a, bob):
        mine = [item_for(team_a, member_a, f"mine {i}") for i in range(2)]
        theirs = item_for(team_a, owner_a, "theirs")
        ids = [i.pk for i in [*mine, theirs]]
        bob.post("/gallery/selection/", {"item": ids, "do": "board", "new_board": "Picks"})
        assert Board.objects.get(name="Picks").items.count() == 3
        page = bob.post(
            "/gallery/selection/", {"item": ids, "do": "delete"}, follow=True
        ).content.decode()
        assert "Deleted 2." in page and "1 made by others were kept" in page
        assert MediaItem.objects.filter(deleted_at__isnull=False).count() == 2
        undo = f'name="items_csv" value="{mine[1].pk},{mine[0].pk}"'  # newest first
        assert undo in page
        bob.post("/gallery/restore/", {"items_csv": f"{mine[0].pk},{mine[1].pk}"})
        assert not MediaItem.objects.filter(deleted_at__isnull=False).exists()

    def test_viewers_cannot_bulk_change(self, team_a, owner_a, vera):
        item = item_for(team_a, owner_a)
        assert (
            vera.post("/gallery/selection/", {"item": [item.pk], "do": "delete"}).status_code == 403
        )


def test_mj_actions_run_straight_from_the_gallery_detail(team_a, owner_a, bob):
    from gallery.models import Generation

    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="castle")
    items = [make_item(grid, i) for i in range(4)]
    page = parse(bob.get(f"/gallery/{items[2].pk}/").content)
    button = page.find("button", name="do", value="upscale:3")
    form = next(f for f in page.find_all("form") if button in f.find_all("button"))
    assert form.attrs.get("method", "").lower() == "post" and "hx-post" not in form.attrs
    response = bob.post(f"/tasks/{grid.pk}/mj/", {"do": "upscale:3", "next": "/history/"})
    assert response["Location"] == "/history/"
    assert Generation.objects.get(parent=grid).parent_index == 3


def _member_options(page: str) -> dict[int, str]:
    """The gallery's member filter: {user id: name shown}."""
    select = parse(page).find("select", name="member")
    return {
        int(o.attrs["value"]): o.words for o in select.find_all("option") if o.attrs.get("value")
    }


def test_filter_lists_are_cached_until_a_board_a_member_or_a_name_changes(
    team_a, owner_a, member_a, alice, bob
):
    def gallery() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            page = alice.get("/gallery/").content.decode()
        return len(queries), page

    gallery()  # warm-up: stores the current team in the session and fills the cache
    warm, page = gallery()
    assert _member_options(page)[member_a.pk] == "Bob"

    bob.post("/boards/new/", {"name": "Team picks", "shared": "1"})
    cold, page = gallery()
    assert "Team picks" in page and cold == warm + 2  # member and board lists read again
    assert gallery()[0] == warm

    owner_a.display_name = "Alicia"
    owner_a.save()
    assert _member_options(gallery()[1])[owner_a.pk] == "Alicia"

    version = Team.objects.get(pk=team_a.pk).listing_version
    alice.force_login(owner_a)  # stamps last_login: no change to any list
    assert Team.objects.get(pk=team_a.pk).listing_version == version

    membership = member_a.memberships.get(team=team_a)
    alice.post(f"/team/members/{membership.pk}/remove/")
    assert member_a.pk not in _member_options(gallery()[1])


def test_filter_lists_live_in_each_process_not_in_the_shared_cache(team_a, owner_a, alice):
    """A warm page reads its lists from the process's own memory: with the shared cache
    caching nothing (in production it is a table, one query a lookup) the lists are not read
    again, and a board added meanwhile (by any process: the version is in the team row) shows."""
    shared_does_nothing = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    with override_settings(CACHES=shared_does_nothing):

        def gallery() -> tuple[int, str]:
            with CaptureQueriesContext(connection) as queries:
                page = alice.get("/gallery/").content.decode()
            return len(queries), page

        gallery()
        cold, _page = gallery()
        caches["listings"].clear()
        # The member and board lists, read once more (and the header's balance row, which an
        # owner sees and the same per-process cache keeps: spend/context_processors.py).
        assert gallery()[0] == cold + 3
        assert gallery()[0] == cold
        Board.objects.create(team=team_a, owner=owner_a, name="Made elsewhere", shared=True)
        count, page = gallery()
        assert "Made elsewhere" in page and count == cold + 2  # a new version: read again


def test_the_detail_names_settings_and_models_in_words_in_both_languages(team_a, owner_a, bob):
    video = make_generation(
        team_a,
        owner_a,
        kind=Kind.VIDEO,
        model="ima-pro-fast",
        params={"role_mode": "frame", "duration": 8, "aspect_ratio": "16:9", "audio": True},
    )
    page = bob.get(f"/gallery/{make_item(video).pk}/").content.decode()
    for raw in ("role_mode", "aspect_ratio", "ima-pro-fast<", ">frame<", ">True<"):
        assert raw not in page
    for shown in ("IMA-Pro Fast", "First / last frame (1–2)", "8 seconds", "Widescreen 16:9", "On"):
        assert shown in page
    page = bob.get(
        f"/gallery/{video.items.get().pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "8 秒" in page and "8 seconds" not in page


def test_zoom_and_pan_cards_say_how_much_and_which_way(team_a, owner_a, bob):
    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY)
    make_generation(
        team_a, owner_a, kind=Kind.MIDJOURNEY, action="zoom", parent=grid, params={"scale": "2"}
    )
    make_generation(
        team_a,
        owner_a,
        kind=Kind.MIDJOURNEY,
        action="pan",
        parent=grid,
        params={"direction": "left"},
    )
    page = bob.get("/history/?scope=team").content.decode()
    assert "Zoom out 2×" in page and "Pan ←" in page
    assert f"from task #{grid.pk}" in page


def test_reuse_settings_of_an_upscale_opens_the_imagine_it_came_from(team_a, owner_a, bob):
    imagine = make_generation(
        team_a,
        owner_a,
        kind=Kind.MIDJOURNEY,
        prompt="castle --ar 3:2",
        params={"base_prompt": "castle", "flags": {"ar": "3:2"}},
    )
    upscale = make_generation(
        team_a, owner_a, kind=Kind.MIDJOURNEY, action="upscale", parent=imagine, parent_index=2
    )
    page = bob.get(f"/gallery/{make_item(upscale).pk}/").content.decode()
    assert f'href="/create/midjourney/?from={imagine.pk}"' in page
    form = bob.get(f"/create/midjourney/?from={imagine.pk}").content.decode()
    assert "castle</textarea>" in form


def test_actions_on_an_upscale_do_not_ask_which_image(team_a, owner_a, bob):
    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY)
    upscale = make_generation(
        team_a, owner_a, kind=Kind.MIDJOURNEY, action="upscale", parent=grid, parent_index=3
    )
    page = parse(bob.get(f"/gallery/{make_item(upscale).pk}/").content)
    labels = [b.words for b in page.find_all("button", name="do")]
    assert "1.5×" in labels and not [label for label in labels if "#" in label]
    assert "Choose the region" in page.text
    assert page.find("input", type="hidden", name="index", value="1")
    grid_items = [make_item(grid, index=i) for i in range(4)]
    grid_page = parse(bob.get(f"/gallery/{grid_items[0].pk}/").content)
    zoom = grid_page.find("button", value="zoom:4:1.5")
    assert zoom.attrs["aria-label"] == "Zoom out 1.5× #4"


def test_u_and_v_are_offered_only_where_four_images_exist(team_a, owner_a, bob):
    """A grid action that gave one picture (no split possible) has no image numbers to pick."""
    single = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, action="variation")
    page = bob.get(f"/gallery/{make_item(single).pk}/").content.decode()
    actions = page[page.index("mj-actions") : page.index("board-form")]
    # The CSRF token is random text: it may spell "U1" by chance.
    actions = re.sub(r"<input[^>]*csrfmiddlewaretoken[^>]*>", "", actions)
    assert "U1" not in actions and "U4" not in actions and "#4" not in actions
    assert (
        bob.post(reverse("gallery:mj_action", args=[single.pk]), {"do": "upscale:4"}).status_code
        == 404
    )


def test_home_shows_my_running_tasks_and_the_teams_latest_results(
    team_a, team_b, owner_a, owner_b, member_a, bob
):
    shown = item_for(team_a, owner_a, "latest fox")
    item_for(team_b, owner_b, "other team's owl")
    make_generation(team_a, member_a, state="running")
    make_generation(team_a, owner_a, state="running")  # someone else's: not counted
    page = bob.get("/").content.decode()
    assert "1 of your tasks is still running" in parse(page).words
    assert gallery_items(page) == [shown.pk]


def test_home_without_results_says_what_will_appear(bob):
    page = bob.get("/").content.decode()
    assert "Nothing yet." in page and "still running" not in page


def test_an_mj_card_shows_images_1_to_4_in_the_order_the_buttons_use(team_a, owner_a, bob):
    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="castle")
    items = [make_item(grid, i) for i in range(4)]  # created in order: newest is image 4
    page = parse(bob.get("/history/?scope=team").content)
    card = page.find(id=f"gen-{grid.pk}")
    links = [a.attrs["href"] for a in card.find_all("a") if "href" in a.attrs]
    assert [h for h in links if h in {f"/gallery/{i.pk}/" for i in items}][:4] == [
        f"/gallery/{i.pk}/" for i in items
    ]


def test_the_detail_of_one_grid_image_marks_its_own_buttons(team_a, owner_a, bob):
    grid = make_generation(team_a, owner_a, kind=Kind.MIDJOURNEY, prompt="castle")
    third = [make_item(grid, i) for i in range(4)][2]
    page = parse(bob.get(f"/gallery/{third.pk}/").content)
    assert "This is image 3 of the grid" in page.words
    picks = {p.attrs["value"]: "checked" in p.attrs for p in page.find_all("input", name="pick")}
    assert picks == {"1": False, "2": False, "3": True, "4": False}
    assert page.find("select", name="index").find("option", selected="").words == "3"


def test_failure_messages_are_shown_in_the_readers_language(team_a, owner_a, bob):
    make_generation(
        team_a,
        owner_a,
        state="failed",
        error_message="Zcheap refused the prompt or an image (content review).",
        upstream_error="moderation: blocked",
    )
    zh = bob.get("/history/?scope=team", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "content review" not in zh and "moderation: blocked" in zh
    en = bob.get("/history/?scope=team", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Zcheap refused the prompt or an image (content review)." in en
