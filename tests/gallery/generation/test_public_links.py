"""Signed public links: Zcheap can fetch our reference files; nobody can forge or reuse old links."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.test import Client

from gallery.generation import public_links
from gallery.models import ReferenceUpload

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(team_a, owner_a):
    ref = ReferenceUpload(
        team=team_a, user=owner_a, content_type="image/png", original_name="a.png"
    )
    ref.file.save("a.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"), save=True)
    return ref


def test_it_serves_a_signed_link_without_login(upload, settings):
    settings.ZCHEAP_PUBLIC_BASE_URL = "https://studio.example.com"
    url = public_links.public_url(upload)
    assert url.startswith("https://studio.example.com/p/")
    response = Client().get(url.removeprefix("https://studio.example.com"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_it_refuses_a_tampered_link(upload):
    path = public_links.public_url(upload).split("/p/", 1)[1]
    assert Client().get(f"/p/{path[:-2]}xx/").status_code == 404


def test_it_refuses_an_expired_link(upload, monkeypatch):
    token = signing.dumps({"k": "u", "id": upload.pk, "ttl": 60}, salt=public_links.SALT)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)  # two minutes later
    assert Client().get(f"/p/{token}/").status_code == 404


def test_it_does_not_let_a_link_name_another_kind_of_object(upload):
    token = signing.dumps({"k": "zz", "id": upload.pk, "ttl": 60}, salt=public_links.SALT)
    assert Client().get(f"/p/{token}/").status_code == 404
