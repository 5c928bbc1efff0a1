from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .permissions import can_create_team


def team(request: HttpRequest) -> dict:
    """Expose the current team and membership to every template."""
    current = getattr(request, "team", None)
    return {
        "signup_open": settings.ACCOUNT_ALLOW_SIGNUP,
        "current_team": current,
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
        "demo_mode": bool(current and current.demo_mode),
        "can_create_team": bool(request.user.is_authenticated and can_create_team(request.user))
        if hasattr(request, "user")
        else False,
        "needs_key": bool(current and current.needs_key),
    }
