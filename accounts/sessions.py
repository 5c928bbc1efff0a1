"""Django's database sessions, read with one plain SQL statement.

Every request of a signed-in person reads its session (a card poll: every open tab every 2 s).
Django's `Session.objects.get(session_key=…, expire_date__gt=now)` spends more CPU building the
query and the model instance than the database spends answering; this reads the same row with
the same conditions in plain SQL. Everything else (saving, expiry, logout deleting the row,
`clearsessions`) is Django's: `SESSION_ENGINE = "accounts.sessions"`.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        using = router.db_for_read(self.model)
        connection = connections[using]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {self.model._meta.db_table} "  # noqa: S608
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:  # unknown or expired: a new session, as Django does
            self._session_key = None
            return {}
        return self.decode(row[0])
