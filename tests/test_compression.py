"""Large pages go out gzipped; pages that show secrets (invitation links, API settings) never do."""

from __future__ import annotations

import gzip

import pytest

from tests.conftest import HTMX
from tests.factories import make_generation, make_item

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_browsing_pages_and_poll_replies_are_compressed(team_a, owner_a, alice):
    generation = make_generation(team_a, owner_a, prompt="a compressible fox")
    item = make_item(generation)
    running = make_generation(team_a, owner_a, state="running")
    for url, extra in [
        ("/", {}),
        ("/gallery/", {}),
        (f"/gallery/{item.pk}/", {}),
        ("/history/", {}),
        ("/boards/", {}),
        (f"/tasks/{generation.pk}/", {}),
        (f"/tasks/poll/?ids={running.pk}", HTMX),
    ]:
        response = alice.get(url, **GZIP, **extra)
        assert response.status_code in (200, 286), url
        assert response["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in response["Vary"], url
        body = gzip.decompress(response.content).decode()
        assert "<" in body, url
    page = gzip.decompress(alice.get("/gallery/", **GZIP).content).decode()
    assert "a compressible fox" in page


def test_pages_with_secrets_are_not_compressed(alice):
    alice.post("/team/invitations/", {"role": "member", "days": 7})
    response = alice.get("/team/", **GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response
