"""The team's audit log: who changed what, when, with before/after where it matters.

Other apps record events through ``audit.record(...)`` and register the labels of their kinds
with ``audit.register_kinds({...})`` in their AppConfig.ready(). Entries are never edited.
"""

from __future__ import annotations

__all__ = ["record", "register_kinds", "kind_label"]


def record(*args, **kwargs):
    from .models import record as _record

    return _record(*args, **kwargs)


def register_kinds(labels) -> None:
    from .kinds import register

    register(labels)


def kind_label(kind: str) -> str:
    from .kinds import label

    return label(kind)
