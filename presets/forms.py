"""The preset form: a name, sharing, a prompt template and the kind's own setting fields."""

from __future__ import annotations

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import kinds
from .models import Preset, placeholders_of, template_problems

SETTING_PREFIX = "s_"


class PresetForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Preset name"), max_length=100)
    prompt_template = forms.CharField(
        label=gettext_lazy("Prompt template"),
        max_length=4000,
        required=False,
        help_text=gettext_lazy(
            "Write {product} (any word in braces) where the prompt changes; you are asked for "
            "it when you use the preset. Write {{ or }} for a literal brace."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    shared = forms.BooleanField(label=gettext_lazy("Share with the team"), required=False)
    pinned = forms.BooleanField(
        label=gettext_lazy("Pin for the team (comes first in every list)"), required=False
    )

    def __init__(
        self, *args, kind: str, team, user, membership, instance: Preset | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.kind, self.team, self.user, self.membership = kind, team, user, membership
        self.instance = instance
        form_class = kinds.FORMS[kind]
        self.setting_names = kinds.setting_fields(kind)
        for name in self.setting_names:
            field = copy.deepcopy(form_class.base_fields[name])
            field.required = name == "model"
            if isinstance(field, forms.TypedChoiceField):
                field.empty_value = None
            self.fields[SETTING_PREFIX + name] = field
        if not membership.can_manage:
            del self.fields["pinned"]

    @classmethod
    def initial_from(cls, preset: Preset) -> dict:
        initial = {
            "name": preset.name,
            "prompt_template": preset.prompt_template,
            "shared": preset.shared,
            "pinned": preset.pinned,
        }
        values = {**(preset.settings or {}), "model": preset.model}
        initial.update({SETTING_PREFIX + k: v for k, v in values.items()})
        return initial

    @classmethod
    def initial_from_create_form(cls, kind: str, data) -> dict:
        model, settings = kinds.settings_from_data(kind, data)
        initial = {SETTING_PREFIX + k: v for k, v in settings.items()}
        if model:
            initial[SETTING_PREFIX + "model"] = model
        initial["prompt_template"] = (data.get("prompt") or "")[:4000]
        return initial

    def setting_fields(self):
        return [self[SETTING_PREFIX + name] for name in self.setting_names]

    def plain_fields(self):
        return [
            self[name]
            for name in ("name", "prompt_template", "shared", "pinned")
            if name in self.fields
        ]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the preset a name."))
        return name

    def clean_prompt_template(self) -> str:
        template = self.cleaned_data.get("prompt_template") or ""
        problems = template_problems(template)
        if problems:
            raise ValidationError(
                _(
                    "%(bad)s is not a placeholder: write a single word in braces, like "
                    "{product}, or {{ and }} for a literal brace."
                )
                % {"bad": ", ".join(f"“{p}”" for p in problems)}
            )
        if len(placeholders_of(template)) > 10:
            raise ValidationError(_("Use at most 10 placeholders."))
        return template

    def clean(self):
        cleaned = super().clean()
        name, shared = cleaned.get("name"), cleaned.get("shared")
        if name:
            same = Preset.objects.filter(team=self.team, name__iexact=name)
            if self.instance is not None:
                same = same.exclude(pk=self.instance.pk)
            if shared and same.filter(shared=True).exists():
                self.add_error("name", _("The team already shares a preset with this name."))
            elif not shared and same.filter(shared=False, owner=self.user).exists():
                self.add_error("name", _("You already have a preset with this name."))
        if not shared and cleaned.get("pinned"):
            self.add_error("pinned", _("Only shared presets can be pinned."))
        model = cleaned.get(SETTING_PREFIX + "model")
        form_class = kinds.FORMS[self.kind]
        # The create form's own rules (a shape or size the model does not offer).
        allowed = {
            "aspect_ratio": getattr(form_class.base_fields.get("aspect_ratio"), "widget", None),
            "size": getattr(form_class.base_fields.get("size"), "widget", None),
            "resolution": getattr(form_class.base_fields.get("resolution"), "widget", None),
        }
        for name, widget in allowed.items():
            value = cleaned.get(SETTING_PREFIX + name)
            by_model = getattr(widget, "allowed", None)
            if model and value and by_model and value not in by_model.get(model, [value]):
                self.add_error(
                    SETTING_PREFIX + name, _("The chosen model does not offer this value.")
                )
        return cleaned

    def save(self) -> Preset:
        data = self.cleaned_data
        settings = {}
        for name in self.setting_names:
            value = data.get(SETTING_PREFIX + name)
            if name != "model" and value not in (None, ""):
                settings[name] = value
        preset = self.instance or Preset(team=self.team, owner=self.user, kind=self.kind)
        preset.name = data["name"]
        preset.prompt_template = data["prompt_template"]
        preset.shared = bool(data.get("shared"))
        if "pinned" in self.fields:
            preset.pinned = bool(data.get("pinned")) and preset.shared
        elif not preset.shared:
            preset.pinned = False
        preset.model = data.get(SETTING_PREFIX + "model") or ""
        preset.settings = settings
        preset.save()
        return preset
