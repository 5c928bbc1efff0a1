"""Picking a preset on a create form: its settings and its template, placeholders filled in."""

from __future__ import annotations

from zcheap_site.params import parse_id

from . import kinds
from .models import Preset, fill_template

PLACEHOLDER_PREFIX = "ph_"


def placeholder_values(query) -> dict[str, str]:
    return {
        key[len(PLACEHOLDER_PREFIX) :]: value.strip()[:500]
        for key, value in query.items()
        if key.startswith(PLACEHOLDER_PREFIX)
    }


def find_preset(request, kind: str | None = None) -> Preset | None:
    preset_id = parse_id(request.GET.get("preset", ""))
    if preset_id is None or request.team is None:
        return None
    presets = Preset.objects.visible_to(request.team, request.user)
    if kind:
        presets = presets.filter(kind=kind)
    return presets.filter(pk=preset_id).first()


def initial_for(preset: Preset, values: dict[str, str]) -> dict:
    initial = dict(preset.settings or {})
    if preset.model:
        initial["model"] = preset.model
    if preset.prompt_template:
        initial["prompt"] = fill_template(preset.prompt_template, values)
    return initial


def preset_initial(request, form_class) -> dict:
    kind = kinds.kind_of(form_class)
    if kind is None:
        return {}
    preset = find_preset(request, kind)
    if preset is None:
        return {}
    return initial_for(preset, placeholder_values(request.GET))
