"""Deny-by-default login, htmx-aware, and the current team on every request."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from .backends import RENAMED
from .models import Membership

SESSION_TEAM_KEY = "current_team_id"


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, for sessions signed in before the backends moved to accounts.backends too."""

    def process_request(self, request: HttpRequest) -> None:
        session = request.session
        if session.session_key is not None:  # no cookie: nothing to read (no query)
            renamed = RENAMED.get(session.get(BACKEND_SESSION_KEY, ""))
            if renamed is not None:
                session[BACKEND_SESSION_KEY] = renamed
        super().process_request(request)


class HtmxLoginRequiredMiddleware(LoginRequiredMiddleware):
    """LoginRequiredMiddleware that never swaps a login page into an htmx fragment.

    An htmx request whose session expired gets `HX-Redirect` to the login page, with `next`
    pointing at the page the user was on (HX-Current-URL), not at the fragment URL.
    """

    def handle_no_permission(self, request: HttpRequest, view_func) -> HttpResponse:
        if request.headers.get("HX-Request") == "true":
            current = request.headers.get("HX-Current-URL", "")
            parts = urlsplit(current)
            next_url = parts.path + (f"?{parts.query}" if parts.query else "") if current else "/"
            login = redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
            return HttpResponseClientRedirect(login["Location"])
        return super().handle_no_permission(request, view_func)


class CurrentTeamMiddleware:
    """Set request.team / request.membership / request.memberships for a logged-in user.

    The current team is kept in the session; a stale or foreign id falls back to the user's
    first team, so a removed member simply lands in another team (or the "no team" page).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.team = None
        request.membership = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Read with the user by accounts.backends (one query); a user from elsewhere (a
            # custom backend, a login earlier in this request) gets the query of its own.
            memberships = getattr(user, "preloaded_memberships", None)
            if memberships is None:
                memberships = list(Membership.objects.for_user(user))
            request.memberships = memberships
            wanted = request.session.get(SESSION_TEAM_KEY)
            current = next((m for m in memberships if m.team_id == wanted), None)
            if current is None and memberships:
                current = memberships[0]
                request.session[SESSION_TEAM_KEY] = current.team_id
            if current is not None:
                request.membership = current
                request.team = current.team
        return self.get_response(request)
