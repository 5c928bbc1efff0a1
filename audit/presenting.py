"""How an event reads on the page and in the CSV: labels for its kind and its before/after."""

from __future__ import annotations

import csv
import json

from django.utils.translation import gettext_lazy as _

from . import kinds

# Names of the before/after keys the app records; a key nobody named shows as it is.
FIELD_LABELS = {
    "name": _("Name"),
    "key": _("API key"),
    "base_url": _("Base URL"),
    "role": _("Role"),
    "expires_at": _("Expires"),
    "invitation": _("Invitation"),
    "invited_by": _("Invited by"),
    "invitations_revoked": _("Invitations revoked"),
    "count": _("Items"),
    "items": _("Which"),
    "days": _("Days in the trash"),
    "group": _("Group"),
    "remote_id": _("Zcheap id"),
    "owner": _("Owner"),
    "shared": _("Shared with the team"),
    "smart": _("Smart board"),
}
LIST_SHOWN = 10


def _role_label(value):
    from accounts.models import Role

    try:
        return str(Role(value).label)
    except ValueError:
        return value


def _value(key: str, value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if key == "role":
        return _role_label(value)
    if key == "base_url" and value == "":
        return str(_("default"))
    if isinstance(value, list):
        shown = ", ".join(f"#{v}" if isinstance(v, int) else str(v) for v in value[:LIST_SHOWN])
        return shown + (f" … (+{len(value) - LIST_SHOWN})" if len(value) > LIST_SHOWN else "")
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def changes(event) -> list[dict]:
    """[{label, before, after, changed}] for every key in the event's before or after."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = []
    for key in [*before, *(k for k in after if k not in before)]:
        has_before, has_after = key in before, key in after
        rows.append(
            {
                "label": str(FIELD_LABELS.get(key, key)),
                "before": _value(key, before[key]) if has_before else None,
                "after": _value(key, after[key]) if has_after else None,
            }
        )
    # Something recorded as a bare value (not a dict) still shows.
    if event.before is not None and not isinstance(event.before, dict):
        rows.append({"label": "", "before": _value("", event.before), "after": None})
    if event.after is not None and not isinstance(event.after, dict):
        rows.append({"label": "", "before": None, "after": _value("", event.after)})
    return rows


def who(event) -> str:
    if event.actor_label:
        return event.actor_label
    return str(_("System"))


def present(event):
    """Attach what the template shows to EVENT."""
    event.kind_label = kinds.label(event.kind)
    event.kind_known = kinds.known(event.kind)
    event.who = who(event)
    event.changes = changes(event)
    return event


# CSV ----------------------------------------------------------------------------------------

# A cell a spreadsheet would read as a formula (OWASP's list, tab and carriage return included).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_header() -> list[str]:
    return [
        str(_("Time (UTC)")),
        str(_("Person")),
        str(_("Kind")),
        str(_("What")),
        str(_("Target")),
        str(_("Before")),
        str(_("After")),
        str(_("IP address")),
    ]


def _json_text(text: str | None) -> str:
    """The stored JSON as it is (no decoding and encoding again per row), with \\u escapes
    (SQLite stores them for non-ASCII text) turned back into the characters."""
    if text is None:
        return ""
    if "\\u" in text:
        return json.dumps(json.loads(text), ensure_ascii=False)
    return text


# The export reads before/after as the database's JSON text (see audit/views.py).
CSV_FIELDS = (
    "pk",
    "created_at",
    "actor_label",
    "kind",
    "target",
    "before_text",
    "after_text",
    "ip",
)


def csv_row(event: dict, labels: dict) -> list[str]:
    """One line of the export from EVENT (a dict of CSV_FIELDS); LABELS caches the kind labels."""
    kind = event["kind"]
    if kind not in labels:
        labels[kind] = kinds.label(kind)
    return [
        safe_cell(value)
        for value in (
            event["created_at"].strftime("%Y-%m-%d %H:%M:%S"),
            event["actor_label"] or labels.setdefault("", str(_("System"))),
            kind,
            labels[kind],
            event["target"],
            _json_text(event["before_text"]),
            _json_text(event["after_text"]),
            event["ip"] or "",
        )
    ]


class Echo:
    """A file whose write() returns the line, for csv.writer inside a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows):
    writer = csv.writer(Echo())
    yield "\ufeff"  # a BOM, so spreadsheet programs read the UTF-8 (names in Chinese) right
    yield writer.writerow(csv_header())
    labels: dict = {}
    for event in rows:
        yield writer.writerow(csv_row(event, labels))
