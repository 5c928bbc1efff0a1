"""Media files: members only (outsiders 404), ETag/304, byte ranges, download names."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client

from tests.conftest import client_for, make_user
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db


def fetch(client, url, **headers):
    """GET URL and read the whole body, closing the file behind it (a server closes a streamed
    response after sending it; the test client leaves that to the caller)."""
    response = client.get(url, **headers)
    if response.streaming:
        response.streamed = b"".join(response.streaming_content)
    # close() announces the end of a request, which would close the test's database connection
    # too; the test client itself keeps that handler away while it closes a response.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response


@pytest.fixture
def item(team_a, owner_a):
    return make_item(make_generation(team_a, owner_a))


@pytest.mark.parametrize("variant", ["", "large/", "small/", "original/"])
def test_members_and_viewers_see_media_outsiders_and_strangers_do_not(
    item, alice, bob, vera, olga, variant
):
    url = f"/media/{item.pk}/{variant}"
    for client in (alice, bob, vera):
        assert fetch(client, url).status_code == 200
    assert fetch(olga, url).status_code == 404
    assert fetch(Client(), url).status_code == 302  # to the login page


def test_it_answers_304_to_a_matching_etag(item, alice):
    first = fetch(alice, f"/media/{item.pk}/")
    again = fetch(alice, f"/media/{item.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_it_serves_byte_ranges(item, alice):
    response = fetch(alice, f"/media/{item.pk}/", HTTP_RANGE="bytes=0-7")
    assert response.status_code == 206
    assert response.content == b"\x89PNG\r\n\x1a\n"
    assert response["Content-Range"] == f"bytes 0-7/{item.size_bytes}"
    assert (
        fetch(alice, f"/media/{item.pk}/", HTTP_RANGE=f"bytes={item.size_bytes + 5}-").status_code
        == 416
    )


def test_it_offers_a_download_name(item, alice):
    response = fetch(alice, f"/media/{item.pk}/?download=1")
    assert response["Content-Disposition"] == f'attachment; filename="zcheap-image-{item.pk}.png"'


def test_deleted_items_are_gone(item, alice):
    from django.utils import timezone

    item.deleted_at = timezone.now()
    item.save()
    assert fetch(alice, f"/media/{item.pk}/").status_code == 404


def test_it_hands_files_to_nginx_when_configured(item, alice, settings):
    settings.MEDIA_SERVE_MODE = "x-accel-redirect"
    response = fetch(alice, f"/media/{item.pk}/")
    assert response["X-Accel-Redirect"] == "/protected-media/" + item.file.name
    assert response.content == b""


def test_on_s3_nginx_gets_a_short_presigned_request_and_the_browser_never_sees_the_bucket(
    item, alice, olga, settings, monkeypatch
):
    from django.core.files.storage import FileSystemStorage

    signed = []

    def presign(self, name, expire=None):
        signed.append(expire)
        return (
            f"https://s3.example.com/media-bucket/{name}?X-Amz-Expires={expire}&X-Amz-Signature=ab"
        )

    monkeypatch.setattr(FileSystemStorage, "url", presign, raising=False)
    settings.STORAGE_BACKEND, settings.MEDIA_SERVE_MODE = "s3", "x-accel-redirect"
    response = alice.get(f"/media/{item.pk}/")
    assert response.status_code == 200 and "Location" not in response
    assert response["X-Accel-Redirect"] == (
        f"/protected-media/media-bucket/{item.file.name}?X-Amz-Expires=60&X-Amz-Signature=ab"
    )
    assert olga.get(f"/media/{item.pk}/").status_code == 404
    settings.MEDIA_SERVE_MODE = "django"  # without nginx: a redirect to the presigned link
    assert alice.get(f"/media/{item.pk}/")["Location"].startswith("https://s3.example.com/")


def test_thumbnails_have_immutable_urls_that_browsers_keep(item, alice, olga):
    """The next page view re-fetches no thumbnail, and the access check is untouched."""
    page = alice.get("/gallery/").content.decode()
    url = f"/media/{item.pk}/small/?v={item.media_version}"
    assert f'src="{url}"' in page and item.media_version != "0"
    response = alice.get(url)
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert "Cookie" in response["Vary"]  # another login in the same browser asks again
    assert olga.get(url).status_code == 404
    assert Client().get(url).status_code == 302
    stale = alice.get(f"/media/{item.pk}/small/?v=0123456789ab")
    assert "immutable" not in stale["Cache-Control"]


def test_cards_and_the_detail_use_the_immutable_urls(item, alice):
    detail = alice.get(f"/gallery/{item.pk}/").content.decode()
    assert f"/media/{item.pk}/?v={item.media_version}" in detail
    card = alice.get(f"/tasks/{item.generation_id}/").content.decode()
    assert f"/media/{item.pk}/small/?v={item.media_version}" in card


@pytest.fixture
def deleted_item(team_a, member_a):
    from django.utils import timezone

    item = make_item(make_generation(team_a, member_a))
    item.deleted_at = timezone.now()
    item.deleted_by = member_a
    item.save()
    return item


def test_a_deleted_file_is_shown_only_to_those_who_may_undo_the_delete(
    deleted_item, alice, bob, vera, olga, team_a, owner_a
):
    from accounts.models import Membership, Role

    url = f"/media/{deleted_item.pk}/?deleted=1"
    assert fetch(bob, url).status_code == 200  # made it (and deleted it): may undo
    assert fetch(alice, url).status_code == 200  # the owner may undo anything
    assert fetch(vera, url).status_code == 404  # a viewer may not restore, so sees nothing
    assert fetch(olga, url).status_code == 404  # an outsider, as always
    other = make_user("mia@example.com", "Mia")
    Membership.objects.create(team=team_a, user=other, role=Role.MEMBER)
    assert fetch(client_for(other), url).status_code == 404  # a member, but not theirs
    for client in (alice, bob):
        assert fetch(client, f"/media/{deleted_item.pk}/").status_code == 404  # no flag, no file


def test_a_whole_file_comes_with_its_length_type_and_range_support(item, alice):
    response = fetch(alice, f"/media/{item.pk}/")
    with item.file.open("rb") as original:
        assert response.streamed == original.read()
    assert response["Content-Length"] == str(item.size_bytes)
    assert response["Content-Type"] == "image/png"
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=3-5", 3, 5),
        ("bytes=10-", 10, None),
        ("bytes=-4", -4, None),
        ("bytes=2-999999", 2, None),
    ],
    ids=["middle", "open-end", "suffix", "past-the-end"],
)
def test_byte_ranges_return_exactly_the_bytes_asked_for(item, alice, header, first, last):
    with item.file.open("rb") as original:
        data = original.read()
    size = len(data)
    start = first % size
    end = size - 1 if last is None else last
    response = fetch(alice, f"/media/{item.pk}/", HTTP_RANGE=header)
    assert response.status_code == 206
    assert response.content == data[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response["Accept-Ranges"] == "bytes"


def test_an_unsatisfiable_range_says_how_big_the_file_is(item, alice):
    response = fetch(alice, f"/media/{item.pk}/", HTTP_RANGE=f"bytes={item.size_bytes}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{item.size_bytes}"


def test_it_hands_files_to_apache_when_configured(item, alice, settings):
    settings.MEDIA_SERVE_MODE = "x-sendfile"
    response = fetch(alice, f"/media/{item.pk}/")
    assert response["X-Sendfile"] == item.file.path
    assert response.content == b"" and "X-Accel-Redirect" not in response
