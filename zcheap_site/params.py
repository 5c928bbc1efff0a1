"""Parsing ids that arrive from the browser (query strings, form lists)."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # the largest primary key any supported database stores


def parse_id(value) -> int | None:
    """VALUE as a database id, or None: ASCII/Unicode decimal digits only (int() accepts all of
    those, unlike str.isdigit()'s superscripts), and no larger than a BIGINT (SQLite raises
    OverflowError, PostgreSQL DataError, for bigger numbers in an IN list)."""
    text = str(value).strip()
    if not text.isdecimal() or len(text) > 19:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    return [n for n in (parse_id(v) for v in values) if n is not None]
