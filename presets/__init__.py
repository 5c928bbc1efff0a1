"""Team presets (saved create-form settings with a prompt template) and batch runs (many tasks
from a list of prompts or a CSV file, created in one transaction, followed on a batch card).

Other apps use only the names below.
"""

from __future__ import annotations

__all__ = ["preset_initial"]


def preset_initial(request, form_class) -> dict:
    """The create form's initial values from ?preset=<id> and its placeholders (ph_<name>)."""
    from .apply import preset_initial as _initial

    return _initial(request, form_class)
