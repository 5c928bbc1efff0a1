"""Labels of audit event kinds. Each app registers its own kinds in AppConfig.ready()."""

from __future__ import annotations

_LABELS: dict[str, object] = {}


def register(labels) -> None:
    _LABELS.update(labels)


def label(kind: str) -> str:
    return str(_LABELS.get(kind, kind))


def choices() -> list[tuple[str, str]]:
    return sorted(((k, str(v)) for k, v in _LABELS.items()), key=lambda kv: kv[1])
