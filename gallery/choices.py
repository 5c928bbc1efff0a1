"""Every value the create forms offer, in one place (from the Zcheap contract; GUESS values noted)."""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

IMAGE_MODELS = [
    ("gemini-3-pro-image-preview", _("Gemini 3 Pro — best quality")),
    ("gemini-3.1-flash-image-preview", _("Gemini 3.1 Flash — faster, more shapes")),
]
COMMON_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
# Contract §0 (backend source): Flash also takes the extreme ratios and the "512px" size.
IMAGE_RATIOS = {
    "gemini-3-pro-image-preview": COMMON_RATIOS,
    "gemini-3.1-flash-image-preview": [*COMMON_RATIOS, "1:4", "4:1", "1:8", "8:1"],
}
IMAGE_SIZES = {
    "gemini-3-pro-image-preview": ["1K", "2K", "4K"],
    "gemini-3.1-flash-image-preview": ["512px", "1K", "2K", "4K"],
}
RATIO_LABELS = {
    "1:1": _("Square 1:1"),
    "2:3": _("Portrait 2:3"),
    "3:2": _("Landscape 3:2"),
    "3:4": _("Portrait 3:4"),
    "4:3": _("Landscape 4:3"),
    "4:5": _("Portrait 4:5"),
    "5:4": _("Landscape 5:4"),
    "9:16": _("Phone 9:16"),
    "16:9": _("Widescreen 16:9"),
    "21:9": _("Cinema 21:9"),
    "1:4": _("Tall 1:4"),
    "4:1": _("Banner 4:1"),
    "1:8": _("Very tall 1:8"),
    "8:1": _("Very wide 8:1"),
}
SIZE_LABELS = {
    "512px": _("Small (512px)"),
    "512": _("Small (512px)"),  # rows made before the §0 fix; sent as 512px
    "1K": _("Standard (1K)"),
    "2K": _("Large (2K)"),
    "4K": _("Huge (4K)"),
}
MAX_IMAGE_REFERENCES = 14

MJ_VERSIONS = [
    ("", _("Default")),
    ("7", "V7"),
    ("6.1", "V6.1"),
    ("niji 6", "Niji 6"),
    ("niji 7", "Niji 7"),
]
MJ_SPEEDS = [
    ("", _("Default")),
    ("fast", _("Fast (×2 price)")),
    ("relax", _("Relax")),
    ("turbo", _("Turbo (×2 price)")),
    ("draft", _("Draft (×0.5 price)")),
]
MJ_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9"]
BLEND_DIMENSIONS = [
    ("PORTRAIT", _("Portrait 2:3")),
    ("SQUARE", _("Square 1:1")),
    ("LANDSCAPE", _("Landscape 3:2")),
]
REMIX_MODES = [("strong", _("Strong")), ("subtle", _("Subtle"))]
ZOOM_SCALES = [("1.5", "1.5×"), ("2", "2×")]
PAN_DIRECTIONS = [("left", "←"), ("up", "↑"), ("right", "→"), ("down", "↓")]

VIDEO_MODELS = [
    ("ima-pro", _("IMA-Pro — best quality")),
    ("ima-pro-fast", _("IMA-Pro Fast — quicker, up to 720p")),
]
VIDEO_DURATIONS = [4, 5, 6, 8, 10, 12, 15]
VIDEO_RESOLUTIONS = ["480p", "720p", "1080p"]
FAST_VIDEO_RESOLUTIONS = ["480p", "720p"]  # contract §0: 1080p is refused for the fast variant
VIDEO_RATIOS = ["16:9", "9:16", "4:3", "3:4", "1:1", "21:9"]
ROLE_MODES = [("reference", _("Reference images (1–14)")), ("frame", _("First / last frame (1–2)"))]
MAX_VIDEO_REFERENCES = 14
MAX_REFERENCE_CLIPS = 3


# Short names shown wherever a model appears (cards, gallery, details); brand names, not translated.
MODEL_NAMES = {
    "gemini-3-pro-image-preview": "Gemini 3 Pro",
    "gemini-3.1-flash-image-preview": "Gemini 3.1 Flash",
    "midjourney": "Midjourney",
    "ima-pro": "IMA-Pro",
    "ima-pro-fast": "IMA-Pro Fast",
}


def model_name(model: str) -> str:
    return MODEL_NAMES.get(model, model)


def _seconds(n: int) -> str:
    return ngettext("%(n)d second", "%(n)d seconds", n) % {"n": n}


seconds_label = lazy(_seconds, str)  # evaluated when shown, in the reader's language

PARAM_LABELS = {
    "aspect_ratio": _("Shape"),
    "dimensions": _("Shape"),
    "size": _("Size"),
    "role_mode": _("How the images are used"),
    "duration": _("Length"),
    "resolution": _("Resolution"),
    "audio": _("Sound"),
    "scale": _("Zoom out"),
    "direction": _("Direction"),
    "mode": _("Strength"),
    "remix_prompt": _("New prompt"),
    "reference_uploads": _("Uploaded references"),
    "reference_items": _("References from the gallery"),
    "reference_assets": _("References from the asset library"),
    "reference_urls": _("Reference links"),
    "reference_video_urls": _("Reference videos"),
    "reference_audio_urls": _("Reference audio"),
}
HIDDEN_PARAMS = {"flags", "base_prompt", "mask_upload"}  # shown elsewhere, or internal


VALUE_LABELS = {
    "aspect_ratio": RATIO_LABELS,
    "size": SIZE_LABELS,
    "dimensions": dict(BLEND_DIMENSIONS),
    "role_mode": dict(ROLE_MODES),
    "direction": dict(PAN_DIRECTIONS),
    "mode": dict(REMIX_MODES),
}


def describe_param(key: str, value) -> str:
    if isinstance(value, bool):
        return gettext("On") if value else gettext("Off")
    if isinstance(value, list):
        return str(len(value))
    if key == "duration" and str(value).isdecimal():
        return _seconds(int(value))
    if key == "scale":
        return f"{value}×"
    return str(VALUE_LABELS.get(key, {}).get(value, value))


def describe_params(params: dict) -> list[tuple[str, str]]:
    """(label, value) pairs people can read, for the settings a task was made with."""
    return [
        (str(PARAM_LABELS.get(key, key.replace("_", " ").capitalize())), describe_param(key, v))
        for key, v in params.items()
        if key not in HIDDEN_PARAMS and v not in (None, "", [], {})
    ]


def ratio_choices(values):
    return [(v, RATIO_LABELS.get(v, v)) for v in values]
