"""Which create form serves which kind, and which of its fields are settings.

Settings are what a preset stores and what a batch CSV may set per row: the form's own choices,
never its references (those stay on the form a batch is made from).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gallery.generation import ImageForm, MjImagineForm, VideoForm

FORMS = {"image": ImageForm, "mj": MjImagineForm, "video": VideoForm}
KIND_BY_FORM = {form: kind for kind, form in FORMS.items()}
SETTINGS = {
    "image": ["model", "aspect_ratio", "size"],
    "mj": ["ar", "version", "stylize", "chaos", "no", "seed", "speed"],
    "video": ["model", "role_mode", "duration", "resolution", "aspect_ratio", "audio"],
}
KIND_LABELS = {"image": _("Image"), "mj": _("Midjourney"), "video": _("Video")}
CREATE_URLS = {
    "image": "gallery:create_image",
    "mj": "gallery:create_mj",
    "video": "gallery:create_video",
}
BOOLEAN_WORDS = {
    "1": True,
    "yes": True,
    "true": True,
    "y": True,
    "on": True,
    "是": True,
    "0": False,
    "no": False,
    "false": False,
    "n": False,
    "off": False,
    "否": False,
    "": False,
}


def kind_of(form_class) -> str | None:
    return KIND_BY_FORM.get(form_class)


def setting_fields(kind: str) -> list[str]:
    return SETTINGS.get(kind, [])


def settings_from_data(kind: str, data) -> tuple[str, dict]:
    """(model, settings) as a create form posted them (strings, as the form sends them)."""
    settings: dict = {}
    for name in setting_fields(kind):
        if name == "model":
            continue
        value = data.get(name)
        if name == "audio":
            settings[name] = bool(value) and str(value).lower() not in {"false", "0", ""}
        elif value not in (None, ""):
            settings[name] = str(value)
    return str(data.get("model") or ""), settings
