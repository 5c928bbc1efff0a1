"""The create page's preset picker and batch mode (one tag each in templates/gallery/create.html)."""

from __future__ import annotations

from django import template

from presets import batches, kinds
from presets.apply import find_preset
from presets.models import Preset

register = template.Library()


@register.inclusion_tag("presets/_picker.html", takes_context=True)
def preset_picker(context, kind: str, blend: bool = False):
    request = context["request"]
    presets = []
    if not blend and kind in kinds.FORMS and request.team is not None:
        presets = list(Preset.objects.visible_to(request.team, request.user).filter(kind=kind))
    chosen = find_preset(request, kind)
    return {
        "request": request,
        "kind": kind,
        "presets": presets,
        "chosen": chosen,
        "blend": blend,
        "current_membership": context.get("current_membership"),
    }


@register.inclusion_tag("presets/_batch_tools.html", takes_context=True)
def batch_tools(context, kind: str, blend: bool = False):
    membership = context.get("current_membership")
    return {
        "request": context["request"],
        "kind": kind,
        "offered": not blend
        and kind in kinds.FORMS
        and bool(membership and membership.can_generate),
        "columns": ["prompt", *kinds.setting_fields(kind)],
        "max_tasks": batches.max_tasks(),
        "max_variants": batches.MAX_VARIANTS,
        "current_membership": context.get("current_membership"),
    }
