"""Team access helpers: every team view goes through `team_view`.

Outsiders never reach another team's objects because every query filters by `request.team`
(they get 404); a member whose role is too low for an action gets 403.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .models import Invitation, Role


def team_view(min_role: str = Role.VIEWER):
    """Require a current team, and at least MIN_ROLE in it."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.team is None:
                waiting = Invitation.objects.waiting_for(request.user)
                return render(request, "accounts/no_team.html", {"waiting": waiting}, status=403)
            if not request.membership.has_role(min_role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def can_create_team(user) -> bool:
    """TEAM_CREATION=anyone lets every logged-in person start a team; staff keeps it to staff."""
    return settings.TEAM_CREATION == "anyone" or bool(user.is_staff or user.is_superuser)


def require_role(request, min_role: str) -> None:
    """Raise 403 unless the current member has at least MIN_ROLE (for actions inside a view)."""
    if request.membership is None or not request.membership.has_role(min_role):
        raise PermissionDenied


def redirect_back(request, fallback: str):
    """Redirect to the form's `next` if it is on this site, else to FALLBACK (no open redirects)."""
    target = request.POST.get("next", "")
    # Only paths: redirect() would read a bare word as a URL name (NoReverseMatch, a 500).
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return redirect(target)
