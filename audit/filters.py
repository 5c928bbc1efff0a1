"""The audit page's filters and its keyset pages (newest first; fast however long the log)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import kinds
from .models import AuditEvent

PAGE = 50
SYSTEM = "system"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class AuditFilterForm(forms.Form):
    person = forms.ChoiceField(label=_("Person"), required=False)
    kind = forms.ChoiceField(label=_("What"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, team):
        super().__init__(data, label_suffix="")
        members = list(team.memberships.select_related("user").order_by("user__email"))
        current = {m.user.email for m in members}
        # People with events who are not in the team now (they left, or their account is
        # gone): by the address the events recorded; chosen by that address.
        former = [email for email in people_in_log(team) if email not in current]
        self.fields["person"].choices = [
            ("", _("Everyone")),
            *((str(m.user_id), f"{m.user.label} ({m.user.email})") for m in members),
            *((email, _("%(email)s (not in the team now)") % {"email": email}) for email in former),
            (SYSTEM, _("System (commands)")),
        ]
        self.fields["kind"].choices = [("", _("All")), *kinds.choices()]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def filter(self, events):
        """EVENTS narrowed by every valid field; a field with a bad value is left out."""
        self.is_valid()  # fields with errors are not in cleaned_data
        data = self.cleaned_data
        person = data.get("person")
        if person == SYSTEM:
            events = events.filter(actor__isnull=True)
        elif person and "@" in person:
            events = events.filter(actor_label=person)
        elif person:
            events = events.filter(actor_id=int(person))
        if data.get("kind"):
            events = events.filter(kind=data["kind"])
        if data.get("since"):
            events = events.filter(created_at__gte=_start_of(data["since"]))
        if data.get("until"):
            events = events.filter(created_at__lt=_start_of(data["until"] + dt.timedelta(days=1)))
        return events

    @property
    def active(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


def people_in_log(team) -> list[str]:
    """The addresses of everyone who has events in TEAM's log (commands, which have no address,
    left out), sorted. A skip scan of the (team, actor_label) index: one index probe per
    person, however long the log, where a DISTINCT would read every event."""
    table = AuditEvent._meta.db_table
    # The table name is our model's; the values are parameters.
    sql = f"""
        WITH RECURSIVE people(label) AS (
            SELECT MIN(actor_label) FROM {table} WHERE team_id = %s AND actor_label > ''
            UNION ALL
            SELECT (SELECT MIN(actor_label) FROM {table} WHERE team_id = %s AND actor_label > label)
            FROM people WHERE label IS NOT NULL
        )
        SELECT label FROM people WHERE label IS NOT NULL
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [team.pk, team.pk])
        return [label for (label,) in cursor.fetchall() if "@" in label]


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def cursor_of(event: AuditEvent) -> str:
    return f"{(event.created_at - _EPOCH) // dt.timedelta(microseconds=1)}_{event.pk}"


def parse_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    """The (time, id) a 'before' link points at; None for anything else (the first page)."""
    micros, sep, pk = (raw or "").partition("_")
    if not sep or not micros.isdigit() or not pk.isdigit() or len(micros) > 17 or len(pk) > 18:
        return None
    try:
        return _EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        return None


def older_than(events, cursor: tuple[dt.datetime, int]):
    """Events after CURSOR in the log's order (-created_at, -id). The plain bound on created_at
    lets the (team, -created_at, -id) index start at the cursor instead of at the newest."""
    when, pk = cursor
    return events.filter(created_at__lte=when).filter(
        Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk)
    )


def page(events, raw_cursor: str, size: int = PAGE) -> tuple[list[AuditEvent], str | None]:
    """One page of EVENTS (newest first) from RAW_CURSOR, and the cursor of the next one."""
    cursor = parse_cursor(raw_cursor)
    if cursor is not None:
        events = older_than(events, cursor)
    rows = list(events.order_by("-created_at", "-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (cursor_of(rows[-1]) if more and rows else None)
