"""Walk every URL the app has (from the resolver) as an outsider and as a viewer.

New URLs are covered automatically: a URL parameter this file does not know makes the test fail
with a message saying where to add it, so nobody can add an unprotected route by accident.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db

# Namespaces and names that are ours (allauth, admin, i18n and static are not team data).
OUR_NAMESPACES = {
    "accounts",
    "gallery",
    "assets",
    "audit",
    "sharing",
    "notifications",
    "presets",
    "operations",
    "spend",
}
OUR_ROOT_NAMES = {"home"}
# Public by design (the token is the secret) or not team-scoped: they act on my own session.
PUBLIC_OR_PERSONAL = {"accounts:accept_invitation", "accounts:switch_team", "accounts:create_team"}

# POSTs that change nothing (a selection too long for a URL), or only the person's own
# notifications and choices, so viewers may use them.
READ_ONLY_POSTS = {
    "gallery:download_zip",
    "notifications:read_all",
    "notifications:read_one",
    "notifications:preferences",
    "spend:estimate",  # the price hint posts the form's values; it changes nothing
}

# How to build team A's object for each URL parameter name. Add new parameter names here.
PARAM_FACTORIES: dict[str, Callable[[dict], object]] = {
    "invitation_id": lambda ctx: (
        Invitation.objects.create(
            team=ctx["team_a"], role=Role.MEMBER, expires_at=Invitation.default_expiry()
        ).pk
    ),
    "membership_id": lambda ctx: Membership.objects.get(user=ctx["member_a"]).pk,
}


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            ours = (namespace in OUR_NAMESPACES) or (not namespace and entry.name in OUR_ROOT_NAMES)
            if ours and name not in PUBLIC_OR_PERSONAL:
                yield name, entry, prefix + str(entry.pattern)


def our_urls():
    return sorted(
        {(name, entry) for name, entry, _route in _walk(get_resolver().url_patterns)},
        key=lambda x: x[0],
    )


def _factories() -> dict[str, Callable[[dict], object]]:
    merged = dict(PARAM_FACTORIES)
    # Each feature registers its URL parameters in tests/url_params_<area>.py as FACTORIES.
    for module in sorted(Path(__file__).parent.glob("url_params_*.py")):
        merged.update(importlib.import_module(f"tests.{module.stem}").FACTORIES)
    return merged


def _reverse_with_team_a_objects(name: str, entry: URLPattern, ctx: dict) -> str:
    from django.urls import reverse

    factories = _factories()
    kwargs = {}
    for param in entry.pattern.regex.groupindex:
        if param not in factories:
            pytest.fail(
                f"URL {name} takes <{param}>: add a factory for it to FACTORIES in tests/url_params_<area>.py "
                "so the cross-team test can check outsiders get 404"
            )
        kwargs[param] = factories[param](ctx)
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def ctx(team_a, owner_a, member_a, viewer_a, owner_b):
    return {
        "team_a": team_a,
        "owner_a": owner_a,
        "member_a": member_a,
        "viewer_a": viewer_a,
        "owner_b": owner_b,
    }


def test_it_finds_the_apps_urls():
    names = {name for name, _ in our_urls()}
    assert {"home", "accounts:team_settings", "gallery:history"} <= names


def test_outsiders_get_404_on_every_url_with_team_a_objects(ctx, olga):
    checked = 0
    for name, entry in our_urls():
        if not entry.pattern.regex.groupindex:
            continue
        url = _reverse_with_team_a_objects(name, entry, ctx)
        for method in ("get", "post"):
            response = getattr(olga, method)(url)
            assert response.status_code in (404, 405), (
                f"{method.upper()} {url} ({name}) gave {response.status_code} to an outsider"
            )
        checked += 1
    assert checked >= 2


def test_pages_without_parameters_never_show_team_a_to_outsiders(ctx, olga):
    for name, entry in our_urls():
        if entry.pattern.regex.groupindex:
            continue
        url = _reverse_with_team_a_objects(name, entry, ctx)
        response = olga.get(url)
        assert response.status_code in (200, 286, 302, 405), (
            f"GET {url} gave {response.status_code}"
        )
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Team Aurora" not in body, f"GET {url} shows team A to an outsider"


def test_viewers_get_403_on_every_action(ctx, vera):
    for name, entry in our_urls():
        if name in READ_ONLY_POSTS:
            continue
        url = _reverse_with_team_a_objects(name, entry, ctx)
        response = vera.post(url)
        assert response.status_code in (403, 405), (
            f"POST {url} ({name}) gave {response.status_code} to a viewer"
        )


def test_anonymous_people_are_sent_to_log_in_on_every_url(ctx):
    from django.test import Client

    anonymous = Client()
    for name, entry in our_urls():
        url = _reverse_with_team_a_objects(name, entry, ctx)
        for method in ("get", "post"):
            response = getattr(anonymous, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url} ({name}) to anonymous"
            assert response["Location"].startswith("/accounts/login/"), url


# Reviewers' pages (sharing/public_urls.py): public by design, the link's token is the secret.
# tests/sharing/test_review_links.py checks them with real links (revoked, expired, password,
# another link's media); here every one of them must refuse a token that is not a live link.
REVIEW_URL_ARGS = {"token": "not-a-link", "item_id": 1, "signed": "x"}


def _review_urls():
    for entry in get_resolver().url_patterns:
        for pattern in getattr(entry, "url_patterns", [entry]):
            if isinstance(pattern, URLPattern) and (pattern.name or "").startswith("review_"):
                yield pattern


def test_every_reviewer_url_refuses_a_dead_or_unknown_token(ctx, olga, client):
    from django.urls import reverse

    from sharing.models import ReviewLink

    urls = list(_review_urls())
    assert len(urls) >= 4
    revoked = ReviewLink.objects.create(
        team=ctx["team_a"], created_by=ctx["owner_a"], expires_at=ReviewLink.default_expiry()
    )
    revoked.revoke()
    for pattern in urls:
        for token in ("not-a-link", revoked.token):
            kwargs = {p: REVIEW_URL_ARGS[p] for p in pattern.pattern.regex.groupindex}
            kwargs["token"] = token
            url = reverse(pattern.name, kwargs=kwargs)
            for who in (client, olga):  # anonymous, and someone of another team
                for method in ("get", "post"):
                    response = getattr(who, method)(url)
                    assert response.status_code in (404, 405), (
                        f"{method.upper()} {url} gave {response.status_code}"
                    )
