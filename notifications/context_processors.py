from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import cached_property


class Bell:
    """The unread count for the header's bell, read once and only when a template shows it
    (full pages do; the card poll and other fragments never touch it, so they run no query)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        from .models import unread_count

        return unread_count(self.user)


def bell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}
