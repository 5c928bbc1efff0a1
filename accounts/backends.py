"""Authentication backends: Django's and allauth's, reading a user with their memberships.

Every request of a signed-in person needs the user (Django checks the session against the
password hash) and the user's memberships (CurrentTeamMiddleware: the current team and role).
These backends read both in one query, the memberships joined with their team and user, instead
of one query each: a card poll goes from 4 queries to 3. Nothing is cached between requests, so
a removed member, a changed password, a deactivated account or a logout take effect on the next
request exactly as before (tests/accounts/test_auth.py).

Sessions signed in under the old backend paths (Django's and allauth's own classes) keep
working: `AuthenticationMiddleware` renames the path stored in such a session.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from .models import Membership

# Paths stored in sessions signed in before these backends existed.
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": "accounts.backends.AuthenticationBackend",
}


class WithMemberships:
    """get_user() that also reads the user's memberships (with their teams), in one query."""

    def get_user(self, user_id):
        memberships = list(
            Membership.objects.filter(user_id=user_id).select_related("team", "user")
        )
        if not memberships:  # no team (yet): the user alone, as Django reads it
            user = super().get_user(user_id)
            if user is not None:
                user.preloaded_memberships = []
            return user
        user = memberships[0].user
        for membership in memberships:
            membership.user = user  # one instance, as `for_user(user)` gives
        user.preloaded_memberships = memberships
        return user if self.user_can_authenticate(user) else None


class ModelBackend(WithMemberships, DjangoModelBackend):
    pass


class AuthenticationBackend(WithMemberships, AllauthBackend):
    pass
