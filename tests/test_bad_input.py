"""Hostile values in every form field and filter: a 400 or a form error, never a server error.

Walks every URL of ours (the same walker as tests/test_cross_team.py, so new pages are covered
automatically) as the team's owner, with GET query strings and POST bodies full of values an
attacker sent: NUL bytes (PostgreSQL refuses them in text), dates at the end of the calendar,
numbers beyond a BIGINT, words where ids belong. CI runs this on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest

from accounts.models import Invitation, Role
from tests.test_cross_team import _reverse_with_team_a_objects, our_urls

pytestmark = pytest.mark.django_db

# Every parameter name a form or filter of ours reads (forms, filters, bulk actions, settings).
FIELDS = [
    "q", "model", "kind", "member", "from", "to", "board", "after", "fav", "page", "scope",
    "state", "status", "type", "name", "description", "query", "smart", "new_board", "shared",
    "item", "items_csv", "do", "team_id", "email", "role", "prompt", "negative_prompt", "size",
    "aspect_ratio", "seed", "action", "index", "scale", "direction", "mode", "remix_prompt",
    "mask", "base_url", "api_key", "display_name", "next", "duration", "resolution", "asset",
    "references", "image_urls", "language",
]  # fmt: skip

BAD_VALUES = [
    "x\x00y",
    "\x00",
    "9999-12-31",
    "0001-01-01",
    "abc",
    "-1",
    "99999999999999999999999",
    "1e309",
]

# Calls the network simulator with a full setup; covered by their own tests.
SKIP = {"assets:sync"}
# Pages the walker leaves out (personal or public by design) and the sign-in forms.
EXTRA_URLS = [
    "/team/switch/",
    "/team/new/",
    "/invite/not-a-real-token/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]


@pytest.fixture
def ctx(team_a, owner_a, member_a, viewer_a, owner_b):
    return {
        "team_a": team_a,
        "owner_a": owner_a,
        "member_a": member_a,
        "viewer_a": viewer_a,
        "owner_b": owner_b,
    }


def _fails(response) -> bool:
    return response.status_code >= 500


def test_every_form_and_filter_answers_bad_values_without_a_server_error(ctx, alice):
    alice.raise_request_exception = False  # collect every failure, not just the first
    failures = []
    urls = [
        _reverse_with_team_a_objects(name, entry, ctx)
        for name, entry in our_urls()
        if name not in SKIP
    ]
    for url in urls + EXTRA_URLS:
        for value in BAD_VALUES:
            data = dict.fromkeys(FIELDS, value)
            for method in ("get", "post"):
                response = getattr(alice, method)(url, data)
                if _fails(response):
                    failures.append(f"{method.upper()} {url} {value!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_a_nul_byte_gets_a_400_with_a_reason(alice, team_a, owner_a):
    response = alice.get("/gallery/", {"q": "cat\x00"})
    assert response.status_code == 400
    assert b"NUL" in response.content
    response = alice.post("/boards/new/", {"name": "Board\x00"})
    assert response.status_code == 400


def test_far_dates_in_the_gallery_filter_are_ignored_not_a_500(alice, team_a, owner_a):
    for query in ({"to": "9999-12-31"}, {"from": "9999-12-31"}, {"from": "0001-01-01"}):
        assert alice.get("/gallery/", query).status_code == 200


def test_switching_to_a_team_that_is_not_a_number_is_a_404(alice, team_a, owner_a):
    assert alice.post("/team/switch/", {"team_id": "abc"}).status_code == 404
    assert alice.post("/team/switch/", {"team_id": "99999999999999999999999"}).status_code == 404


def test_a_nul_byte_in_an_invitation_token_is_a_400(client, team_a):
    Invitation.objects.create(team=team_a, role=Role.MEMBER, expires_at=Invitation.default_expiry())
    assert client.get("/invite/abc%00def/").status_code == 400


def test_a_nul_byte_in_an_upload_file_name_is_a_400(alice, team_a, owner_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import png_bytes

    upload = SimpleUploadedFile("a\x00b.png", png_bytes(), content_type="image/png")
    response = alice.post("/create/image/", {"prompt": "a cat", "references": [upload]})
    assert response.status_code in (200, 302, 400)


def test_an_escaped_nul_in_a_smart_board_is_dropped_not_a_board_that_always_fails(
    alice, team_a, owner_a
):
    from gallery.models import Board

    alice.post("/boards/new/", {"name": "Cats", "smart": "1", "query": "q=%00cat&kind=image"})
    board = Board.objects.get(name="Cats")
    assert "%00" not in board.query and "cat" in board.query
    assert alice.get(f"/gallery/?{board.query}").status_code == 200
