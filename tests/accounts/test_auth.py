"""Login, logout, password reset, closed sign-up, deny-by-default (htmx-aware)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import HTMX, PASSWORD

pytestmark = pytest.mark.django_db


def test_it_redirects_anonymous_pages_to_login():
    response = Client().get("/history/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/history/")


def test_it_sends_htmx_requests_without_session_an_hx_redirect_not_a_login_page():
    response = Client().get(
        "/history/", HTTP_HX_CURRENT_URL="http://testserver/gallery/?q=fox", **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/gallery/%3Fq%3Dfox"
    assert b"<form" not in response.content


def test_it_logs_in_with_email_and_password(owner_a):
    client = Client()
    response = client.post("/accounts/login/", {"login": "ALICE@example.com", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "Hello, Alice" in page.content.decode()


def test_it_rejects_a_wrong_password(owner_a):
    response = Client().post("/accounts/login/", {"login": "alice@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_it_logs_out(alice):
    response = alice.post("/accounts/logout/")
    assert response.status_code == 302
    assert alice.get("/").status_code == 302


def test_it_resets_a_password_by_email(owner_a):
    client = Client()
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form_page = client.get(link.group(1), follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    done = client.post(
        action, {"password1": "brand-new-secret-42", "password2": "brand-new-secret-42"}
    )
    assert done.status_code == 302
    owner_a.refresh_from_db()
    assert owner_a.check_password("brand-new-secret-42")


def test_it_keeps_open_signup_closed_by_default():
    response = Client().get("/accounts/signup/")
    assert "closed" in response.content.decode().lower()


def test_it_shows_a_no_team_page_to_a_person_without_team(django_user_model):
    user = django_user_model.objects.create_user("lonely@example.com", PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get("/gallery/")
    assert response.status_code == 403
    assert "not in a team yet" in response.content.decode()


def test_it_serves_health_without_login():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_it_requires_csrf_on_htmx_posts(owner_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_a)
    response = client.post("/team/rename/", {"name": "X"}, **HTMX)
    assert response.status_code == 403
    page = client.get("/team/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode()).group(1)
    ok = client.post("/team/rename/", {"name": "Renamed"}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert ok.status_code == 302


def test_it_tells_newcomers_to_ask_for_an_invitation_instead_of_signing_up():
    page = Client().get("/accounts/login/").content.decode()
    assert "/accounts/signup/" not in page
    assert "invitation link" in page


@pytest.mark.django_db
def test_form_labels_have_no_trailing_colon_like_the_create_forms(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'for="id_login">Email</label>' in page
    assert ":</label>" not in page
