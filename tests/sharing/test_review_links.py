"""Review links: made by the team, opened by anyone holding the link, nothing else reachable."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from gallery.models import Board, BoardItem, Kind
from notifications.models import Notification, Webhook, WebhookDelivery
from sharing import public_views
from sharing.models import GUESS_LIMIT, ReviewLink, ReviewLinkItem, ReviewVerdict
from tests.conftest import client_for
from tests.factories import make_generation, make_item, png_bytes

pytestmark = pytest.mark.django_db

MEDIA = re.compile(r'(?:src|href|poster)="(/r/[^"]+/m/[^"]+/)"')


@pytest.fixture
def item(team_a, member_a):
    return make_item(make_generation(team_a, member_a, prompt="secret brief for the fox"))


@pytest.fixture
def video(team_a, member_a):
    generation = make_generation(team_a, member_a, kind=Kind.VIDEO, prompt="a video")
    media = make_item(generation)
    media.media_kind = "video"
    media.content_type = "video/mp4"
    media.file.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64), save=False)
    media.poster.save("poster.png", ContentFile(png_bytes()), save=False)
    media.save()
    return media


def _create(client, **fields) -> ReviewLink:
    data = {"days": "14", **fields}
    response = client.post("/share/new/", data)
    assert response.status_code == 302, response.content[:500]
    return ReviewLink.objects.latest("pk")


def _anon() -> Client:
    return Client(enforce_csrf_checks=True)


def _csrf(client: Client, url: str) -> str:
    client.get(url)
    return client.cookies["csrftoken"].value


def test_a_member_makes_a_link_from_an_item_and_it_is_audited(bob, item):
    link = _create(bob, item=item.pk, title="For the client")
    assert list(link.live_items()) == [item]
    assert link.expires_at - timezone.now() > timedelta(days=13, hours=23)
    page = bob.get(f"/share/{link.pk}/").content.decode()
    assert f"/r/{link.token}/" in page  # the URL to copy
    event = AuditEvent.objects.get(kind="review_link.created")
    assert event.target == "For the client" and event.after["items"] == 1
    assert len(link.token) >= 32  # unguessable


def test_viewers_cannot_make_links_and_outsiders_cannot_use_team_a_items(vera, olga, item):
    assert vera.post("/share/new/", {"item": item.pk, "days": 14}).status_code == 403
    assert olga.post("/share/new/", {"item": item.pk, "days": 14}).status_code == 404
    board = Board.objects.create(team=item.team, owner=item.user, name="Mine", shared=True)
    assert olga.post("/share/new/", {"board": board.pk, "days": 14}).status_code == 404
    assert not ReviewLink.objects.exists()


def test_a_private_board_is_shared_only_by_its_owner(alice, bob, item):
    board = Board.objects.create(team=item.team, owner=item.user, name="Bob's", shared=False)
    BoardItem.objects.create(board=board, item=item)
    assert alice.post("/share/new/", {"board": board.pk, "days": 14}).status_code == 404
    link = _create(bob, board=board.pk)
    assert link.board == board and list(link.live_items()) == [item]
    assert alice.get(f"/share/{link.pk}/").status_code == 404  # nor seen by others


def test_anonymous_reviewer_sees_pictures_without_prompts_or_app_chrome(bob, item):
    link = _create(bob, item=item.pk)
    response = _anon().get(f"/r/{link.token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "secret brief" not in page
    assert "site-nav" not in page and "/gallery/" not in page and "/history/" not in page
    assert (
        response["Referrer-Policy"] == "same-origin"
    )  # ("no-referrer" sends Origin: null, refused by CSRF)
    assert f"/media/{item.pk}" not in page  # never the team's media URLs
    assert MEDIA.findall(page)


def test_show_prompts_shows_the_prompt(bob, item):
    link = _create(bob, item=item.pk, show_prompts="on")
    page = _anon().get(f"/r/{link.token}/").content.decode()
    assert "secret brief for the fox" in page


def _all_media(link, items):
    return [
        public_views.media_url(link, i, v)
        for i in items
        for v in ("original", "large", "small", "poster")
    ]


def test_every_media_path_works_while_the_link_is_open_and_none_after_revoke(bob, item, video):
    board = Board.objects.create(team=item.team, owner=item.user, name="Both", shared=True)
    BoardItem.objects.create(board=board, item=item)
    BoardItem.objects.create(board=board, item=video)
    link = _create(bob, board=board.pk)
    anon = _anon()
    page = anon.get(f"/r/{link.token}/").content.decode()
    urls = set(MEDIA.findall(page)) | set(_all_media(link, [item, video]))
    assert len(urls) >= 8
    for url in urls:
        response = anon.get(url)
        assert response.status_code == 200, url
    assert bob.post(f"/share/{link.pk}/revoke/").status_code == 302
    assert anon.get(f"/r/{link.token}/").status_code == 404
    for url in urls:
        assert anon.get(url).status_code == 404, url
    assert AuditEvent.objects.filter(kind="review_link.revoked").count() == 1


def test_an_expired_link_serves_nothing(bob, item, video):
    link = _create(bob, item=item.pk)
    urls = _all_media(link, [item])
    ReviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    anon = _anon()
    response = anon.get(f"/r/{link.token}/")
    assert response.status_code == 404 and b"not available" in response.content
    for url in urls:
        assert anon.get(url).status_code == 404


def test_media_urls_are_tied_to_their_link_and_item(bob, item, video, team_b, owner_b):
    link = _create(bob, item=item.pk)
    other = _create(bob, item=video.pk)
    anon = _anon()
    # A URL signed for one link does not open under another link's token.
    signed = public_views.media_url(link, item, "original").split("/m/")[1]
    assert anon.get(f"/r/{other.token}/m/{signed}").status_code == 404
    # A link's signature for an item it does not hold opens nothing.
    assert anon.get(public_views.media_url(link, video, "original")).status_code == 404
    # Tampered and unknown variants.
    assert anon.get(f"/r/{link.token}/m/{signed[:-3]}xyz/").status_code == 404
    assert anon.get(public_views.media_url(link, item, "../../etc")).status_code == 404
    # Another team's item put in the link by hand is still refused (the team must match).
    foreign = make_item(make_generation(team_b, owner_b))
    ReviewLinkItem.objects.create(link=link, item=foreign)
    assert anon.get(public_views.media_url(link, foreign, "original")).status_code == 404


def test_signed_media_urls_expire(bob, item, monkeypatch):
    link = _create(bob, item=item.pk)
    url = public_views.media_url(link, item, "large")
    monkeypatch.setattr(public_views, "MEDIA_TTL", -1)
    assert _anon().get(url).status_code == 404


def test_a_deleted_item_leaves_the_link(bob, item):
    link = _create(bob, item=item.pk)
    url = public_views.media_url(link, item, "original")
    item.deleted_at = timezone.now()
    item.save()
    anon = _anon()
    assert MEDIA.findall(anon.get(f"/r/{link.token}/").content.decode()) == []
    assert anon.get(url).status_code == 404


def test_password_protects_page_and_media(bob, item):
    link = _create(bob, item=item.pk, password="blue-whale-42")
    assert link.password_hash and "blue-whale" not in link.password_hash
    anon = _anon()
    page = anon.get(f"/r/{link.token}/").content.decode()
    assert 'type="password"' in page and not MEDIA.findall(page)
    url = public_views.media_url(link, item, "original")
    assert anon.get(url).status_code == 404
    token = _csrf(anon, f"/r/{link.token}/")
    wrong = anon.post(
        f"/r/{link.token}/unlock/", {"password": "nope", "csrfmiddlewaretoken": token}
    )
    assert wrong.status_code == 403 and b"not right" in wrong.content
    right = anon.post(
        f"/r/{link.token}/unlock/", {"password": "blue-whale-42", "csrfmiddlewaretoken": token}
    )
    assert right.status_code == 302
    assert MEDIA.findall(anon.get(f"/r/{link.token}/").content.decode())
    response = anon.get(url)
    assert response.status_code == 200
    # Another browser without the password still sees nothing.
    assert _anon().get(url).status_code == 404


def test_password_guesses_are_limited(bob, item):
    link = _create(bob, item=item.pk, password="blue-whale-42")
    anon = Client()
    for _n in range(GUESS_LIMIT):
        assert anon.post(f"/r/{link.token}/unlock/", {"password": "x"}).status_code == 403
    blocked = anon.post(f"/r/{link.token}/unlock/", {"password": "blue-whale-42"})
    assert blocked.status_code == 429 and b"Too many" in blocked.content
    # A quarter of an hour later the right password opens it.
    ReviewLink.objects.filter(pk=link.pk).update(
        guess_window_start=timezone.now() - timedelta(minutes=16)
    )
    assert anon.post(f"/r/{link.token}/unlock/", {"password": "blue-whale-42"}).status_code == 302


def test_reviewer_approves_with_a_comment_and_the_team_and_sharer_see_it(bob, alice, item):
    hook = Webhook(team=item.team, name="chat", events=["review.feedback"])
    hook.set_url("https://hooks.example.com/x")
    hook.save()
    link = _create(bob, item=item.pk, title="Spring")
    anon = _anon()
    token = _csrf(anon, f"/r/{link.token}/")
    response = anon.post(
        f"/r/{link.token}/items/{item.pk}/verdict/",
        {
            "verdict": "approve",
            "comment": "Love the fox",
            "name": "Carla (client)",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    verdict = ReviewVerdict.objects.get()
    assert (verdict.verdict, verdict.comment, verdict.reviewer_name) == (
        "approve",
        "Love the fox",
        "Carla (client)",
    )
    again = anon.get(f"/r/{link.token}/").content.decode()
    assert "Love the fox" in again and 'value="Carla (client)"' in again
    # Changing one's mind replaces the verdict.
    anon.post(
        f"/r/{link.token}/items/{item.pk}/verdict/",
        {
            "verdict": "changes",
            "comment": "Bigger fox",
            "name": "Carla (client)",
            "csrfmiddlewaretoken": token,
        },
    )
    assert ReviewVerdict.objects.get().verdict == "changes"
    # The team sees it on the item, on the link and on the boards page.
    assert "Bigger fox" in alice.get(f"/gallery/{item.pk}/").content.decode()
    assert "Bigger fox" in alice.get(f"/share/{link.pk}/").content.decode()
    # The sharer is told; the chat webhook gets a delivery.
    notes = Notification.objects.filter(user=item.user, kind="review")
    assert notes.count() == 2 and "Carla (client)" in notes.first().text
    assert WebhookDelivery.objects.filter(webhook=hook, event="review.feedback").count() == 2


def test_verdicts_need_a_name_and_an_item_of_the_link(bob, item, team_a, member_a):
    link = _create(bob, item=item.pk)
    other = make_item(make_generation(team_a, member_a))
    anon = Client()
    nameless = anon.post(f"/r/{link.token}/items/{item.pk}/verdict/", {"verdict": "approve"})
    assert nameless.status_code == 400 and b"Your name" in nameless.content
    outside = anon.post(
        f"/r/{link.token}/items/{other.pk}/verdict/", {"verdict": "approve", "name": "X"}
    )
    assert outside.status_code == 404
    bad = anon.post(f"/r/{link.token}/items/{item.pk}/verdict/", {"verdict": "burn", "name": "X"})
    assert bad.status_code == 400
    link.revoke()
    assert (
        anon.post(
            f"/r/{link.token}/items/{item.pk}/verdict/", {"verdict": "approve", "name": "X"}
        ).status_code
        == 404
    )
    assert not ReviewVerdict.objects.exists()


def test_every_reviewer_url_refuses_unknown_tokens():
    anon = Client()
    for url in ("/r/nope/", "/r/nope/m/abc/", "/r/nope/items/1/verdict/", "/r/nope/unlock/"):
        method = anon.post if url.endswith(("verdict/", "unlock/")) else anon.get
        assert method(url).status_code == 404, url


def test_boards_page_lists_the_links_of_a_board(bob, alice, item):
    board = Board.objects.create(team=item.team, owner=item.user, name="Shared", shared=True)
    BoardItem.objects.create(board=board, item=item)
    link = _create(bob, board=board.pk)
    page = alice.get("/boards/").content.decode()
    assert f"/share/{link.pk}/" in page and "Create review link" in page


def test_only_the_sharer_or_an_admin_revokes(bob, alice, item, team_a):
    from accounts.models import Membership, Role
    from tests.conftest import make_user

    carl = make_user("carl@example.com")
    Membership.objects.create(team=team_a, user=carl, role=Role.MEMBER)
    link = _create(bob, item=item.pk)
    assert client_for(carl).post(f"/share/{link.pk}/revoke/").status_code == 404
    assert ReviewLink.objects.get(pk=link.pk).is_usable
    assert alice.post(f"/share/{link.pk}/revoke/").status_code == 302
    assert not ReviewLink.objects.get(pk=link.pk).is_usable


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_never_pass_the_limit(team_a, member_a):
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (SQLite serialises writers anyway)")
    link = ReviewLink(team=team_a, created_by=member_a, expires_at=ReviewLink.default_expiry())
    link.set_password("pw")
    link.save()
    barrier, taken = threading.Barrier(12), []

    def guess() -> None:
        barrier.wait()
        try:
            for _n in range(3):
                taken.append(ReviewLink.objects.get(pk=link.pk).take_guess())
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken.count(True) == GUESS_LIMIT
    assert ReviewLink.objects.get(pk=link.pk).guesses == GUESS_LIMIT


def test_the_boards_page_costs_the_same_queries_with_more_linked_boards(bob, item):
    from django.test.utils import CaptureQueriesContext

    def add_board(n: int) -> None:
        board = Board.objects.create(team=item.team, owner=item.user, name=f"B{n}", shared=True)
        BoardItem.objects.create(board=board, item=item)
        _create(bob, board=board.pk)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert bob.get("/boards/").status_code == 200
        return len(queries)

    add_board(0)
    count()  # warm-up
    few = count()
    for n in range(1, 6):
        add_board(n)
    assert count() == few
