"""Authentication backends: Django's and allauth's, reading a user with their memberships.

Every request of a signed-in person needs the user (Django checks the session against the
password hash) and the user's memberships (CurrentTeamMiddleware: the current team and role).
These backends read both in one query, the memberships joined with their team and user, instead
of one query each: a card poll goes from 4 queries to 3. Nothing is cached between requests, so
a removed member, a changed password, a deactivated account or a logout take effect on the next
request exactly as before (tests/accounts/test_session_checks.py).

Sessions signed in under the old backend paths (Django's and allauth's own classes) keep
working: `AuthenticationMiddleware` renames the path stored in such a session.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connections, router

from .models import Membership, Team, User

# Paths stored in sessions signed in before these backends existed.
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "accounts.backends.AuthenticationBackend"
    ),
}


def memberships_of(user_id) -> list[Membership]:
    """`Membership.objects.filter(user_id=USER_ID).select_related("team", "user")` in its
    default order (team name, id): the same instances, read in plain SQL.

    Every request of a signed-in person runs this. Building that query with the ORM (two joins,
    three models' columns, an ordering across a relation) cost ~1.6 ms of CPU against ~0.3 ms
    for the same statement kept ready here, its rows turned into instances with the fields' own
    converters (tests/accounts/test_session_checks.py compares the two).
    """
    using = router.db_for_read(Membership)
    sql, readers = _memberships_reader(using)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        rows = cursor.fetchall()
    memberships = []
    for row in rows:
        start, instances = 0, []
        for model, names, converters in readers:
            values = list(row[start : start + len(names)])
            start += len(names)
            for i, column_converters in converters:
                for converter, column in column_converters:
                    values[i] = converter(values[i], column, connection)
            instances.append(model.from_db(using, names, values))
        membership, membership.team, membership.user = instances
        memberships.append(membership)
    return memberships


_readers: dict[str, tuple] = {}


def _memberships_reader(using: str) -> tuple:
    """memberships_of's statement and, per model, its field names and column converters."""
    if using not in _readers:
        connection = connections[using]
        quote = connection.ops.quote_name
        columns, readers = [], []
        for model, alias in ((Membership, "m"), (Team, "t"), (User, "u")):
            fields = model._meta.concrete_fields
            converters = []
            for i, field in enumerate(fields):
                column = field.get_col(alias)
                found = connection.ops.get_db_converters(column)
                found += column.get_db_converters(connection)
                if found:
                    converters.append((i, [(converter, column) for converter in found]))
                columns.append(f"{alias}.{quote(field.column)}")
            readers.append((model, [f.attname for f in fields], converters))
        membership, team, user = (quote(m._meta.db_table) for m in (Membership, Team, User))
        sql = (
            f"SELECT {', '.join(columns)} FROM {membership} m "  # noqa: S608 - our own names
            f"JOIN {team} t ON t.id = m.team_id JOIN {user} u ON u.id = m.user_id "
            "WHERE m.user_id = %s ORDER BY t.name, m.id"
        )
        _readers[using] = (sql, readers)
    return _readers[using]


class WithMemberships:
    """get_user() that also reads the user's memberships (with their teams), in one query."""

    def get_user(self, user_id):
        memberships = memberships_of(user_id)
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
