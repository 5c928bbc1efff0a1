"""Side-by-side compare of 2–4 gallery items: which settings differ, and a word-level prompt
diff of each item against the first."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from gallery import choices
from gallery.models import MediaItem

MIN_ITEMS, MAX_ITEMS = 2, 4
CJK = "\u2e80-\u9fff\uf900-\ufaff\uac00-\ud7af"
TOKENS = re.compile(rf"\s+|[{CJK}]|[^\s{CJK}]+")


@dataclass
class Piece:
    text: str
    change: str  # "", "added" or "removed"


def tokens(text: str) -> list[str]:
    return TOKENS.findall(text or "")


def word_diff(before: str, after: str) -> list[Piece]:
    """AFTER in pieces, with the words added since BEFORE marked and the removed ones shown
    (struck through) where they were. Chinese and Japanese have no spaces between words, so
    each of their characters counts as a word."""
    old, new = tokens(before), tokens(after)
    pieces: list[Piece] = []
    # Spaces never anchor a match: "red fox" → "blue whale" is one change, not two.
    matcher = difflib.SequenceMatcher(str.isspace, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("".join(new[b1:b2]), ""))
            continue
        if removed := "".join(old[a1:a2]).strip():
            pieces.append(Piece(removed, "removed"))
        if b2 > b1:
            pieces.append(Piece("".join(new[b1:b2]), "added"))
    return pieces


MJ_FLAG_LABELS = {
    "ar": _("Shape"),
    "version": _("Version"),
    "stylize": _("Stylize"),
    "chaos": _("Variety"),
    "no": _("Leave out"),
    "seed": _("Seed"),
    "speed": _("Speed"),
}


def _settings(item: MediaItem) -> dict[str, str]:
    generation = item.generation
    values = {str(_("Model")): item.model_label}
    if generation is not None:
        params = generation.params or {}
        values.update(
            dict(choices.describe_params({k: v for k, v in params.items() if "reference" not in k}))
        )
        for key, value in (params.get("flags") or {}).items():
            values[str(MJ_FLAG_LABELS.get(key, key))] = str(value)
    return values


def comparison(items: list[MediaItem]) -> dict:
    """Rows of settings (label, one value per item, differs?) and each item's prompt pieces."""
    per_item = [_settings(item) for item in items]
    labels = list(dict.fromkeys(label for values in per_item for label in values))
    rows = []
    for label in labels:
        values = [values.get(label, "—") for values in per_item]
        rows.append({"label": label, "values": values, "differs": len(set(values)) > 1})
    first = items[0].prompt
    prompts = [[Piece(first, "")]] + [word_diff(first, item.prompt) for item in items[1:]]
    return {
        "rows": rows,
        "prompts": prompts,
        "same_prompt": len({item.prompt for item in items}) == 1,
    }
