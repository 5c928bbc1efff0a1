"""The low-severity holes of issue 11 in our part: admins deleting private boards they cannot
see, and the password-reset page telling known from unknown addresses."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from gallery.models import Board

pytestmark = pytest.mark.django_db


def test_an_owner_cannot_delete_a_members_private_board(alice, member_a, team_a):
    private = Board.objects.create(team=team_a, owner=member_a, name="Bob's secret")
    assert alice.post(f"/boards/{private.pk}/delete/").status_code == 404
    assert Board.objects.filter(pk=private.pk).exists()


def test_an_owner_may_still_delete_a_members_shared_board(alice, member_a, team_a):
    shared = Board.objects.create(team=team_a, owner=member_a, name="Moodboard", shared=True)
    assert alice.post(f"/boards/{shared.pk}/delete/").status_code == 302
    assert not Board.objects.filter(pk=shared.pk).exists()


def _reset(email: str) -> tuple[int, str, str]:
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": email})
    page = client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
    page = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+"', "", page)
    return response.status_code, response.get("Location", ""), page


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(owner_a):
    known = _reset("alice@example.com")
    assert known == _reset("nobody@example.com") == _reset("ALICE@Example.com")
    assert known[0] == 302
    # Only the address's owner learns the difference, by e-mail.
    assert [m.to for m in mail.outbox] == [
        ["alice@example.com"],
        ["nobody@example.com"],
        ["alice@example.com"],
    ]
