"""Create forms: they validate and convert; `create()` stores the Generation and starts it."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.selectors import active_assets_for
from gallery import choices
from gallery.models import Generation, Kind, MediaItem, ReferenceUpload
from zcheap import types as zcheap_types
from zcheap_site.params import parse_ids

from . import uploads

url_validator = URLValidator(schemes=["http", "https"])
PICKER_FIRST = 12  # gallery pictures the picker shows before a search or "More pictures"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def http_urls(text: str, limit: int | None = None) -> list[str]:
    """One http(s) URL per line, each checked; at most LIMIT of them."""
    urls = _lines(text)
    for url in urls:
        try:
            url_validator(url)
        except ValidationError:
            raise ValidationError(
                _("“%(url)s” is not an http(s) link.") % {"url": url[:80]}
            ) from None
    if limit is not None and len(urls) > limit:
        raise ValidationError(_("At most %(n)d links.") % {"n": limit})
    return urls


class ModelDependentSelect(forms.Select):
    """A select whose options say which models allow them (`data-models`); generation.js hides
    the others when the model changes, and the form's clean() refuses them without JavaScript."""

    def __init__(self, allowed: dict[str, list[str]], attrs=None):
        super().__init__({**(attrs or {}), "data-depends-on": "model"})
        self.allowed = allowed

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        option["attrs"]["data-models"] = " ".join(
            model for model, values in self.allowed.items() if value in values
        )
        return option


class ReferencesMixin(forms.Form):
    """Reference images from three places: uploads, gallery items, typed URLs."""

    reference_files = uploads.MultipleImageField(label=gettext_lazy("Upload reference images"))
    reference_items = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Or pick from the gallery"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    reference_urls = forms.CharField(
        label=gettext_lazy("Or paste image links (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://…"}),
    )
    reference_uploads = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Your earlier uploads"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    reference_assets = forms.MultipleChoiceField(
        label=gettext_lazy("Or use Active assets from the asset library"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    max_references = choices.MAX_IMAGE_REFERENCES
    min_references = 0
    assets_as_urls = True  # image and MJ tasks take an asset's URL; video tasks take asset://ID
    png_jpeg_links_only = False  # the image route refuses links ending in .webp/.gif (§0)

    def __init__(self, *args, team=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.user = team, user
        self.picker_assets = list(active_assets_for(team, "Image")[:48])
        self.fields["reference_assets"].choices = [
            (a.remote_id, a.name or a.remote_id) for a in self.picker_assets
        ]
        self._offer_earlier_uploads(team)
        wanted = parse_ids(self.initial.get("reference_items") or [])
        if self.is_bound:  # picked after a search or "More pictures": beyond the newest
            wanted += parse_ids(self.data.getlist("reference_items"))
        items = MediaItem.objects.filter(team=team, deleted_at__isnull=True, media_kind="image")
        newest = list(items.order_by("-pk")[: PICKER_FIRST + 1])
        self.picker_more = len(newest) > PICKER_FIRST  # the rest: search and "More pictures"
        newest = newest[:PICKER_FIRST]
        self.picker_oldest = newest[-1].pk if newest else 0
        recent = newest + list(items.filter(pk__in=wanted))
        self.picker_items = list({i.pk: i for i in recent}.values())
        self.fields["reference_items"].choices = [
            (i.pk, i.prompt[:40] or f"#{i.pk}") for i in self.picker_items
        ]

    def _offer_earlier_uploads(self, team) -> None:
        """Edit & retry and Reuse settings bring the source task's uploaded files along: they
        are offered (ticked) by id, and only the team's own uploads are accepted back."""
        wanted = parse_ids(self.initial.get("reference_uploads") or [])
        if self.is_bound:
            wanted += parse_ids(self.data.getlist("reference_uploads"))
        found = {u.pk: u for u in ReferenceUpload.objects.filter(team=team, pk__in=wanted)}
        self.earlier_uploads = [found[pk] for pk in dict.fromkeys(wanted) if pk in found]
        self.fields["reference_uploads"].choices = [
            (u.pk, u.original_name or f"#{u.pk}") for u in self.earlier_uploads
        ]

    @property
    def selected_reference_uploads(self) -> set[int]:
        return set(parse_ids(self["reference_uploads"].value() or []))

    @property
    def selected_reference_items(self) -> set[int]:
        value = self["reference_items"].value() or []
        return set(parse_ids(value))

    def clean_reference_urls(self) -> list[str]:
        urls = http_urls(self.cleaned_data.get("reference_urls", ""))
        if self.png_jpeg_links_only:
            for url in urls:
                if not zcheap_types.reference_extension_ok(url):
                    raise ValidationError(
                        _(
                            "“%(url)s” is not a PNG or JPEG link. Zcheap takes only links ending "
                            "in .png, .jpg or .jpeg (or with no file ending); upload the file "
                            "instead and it is converted for you."
                        )
                        % {"url": url[:80]}
                    )
        return urls

    def reference_count(self) -> int:
        data = self.cleaned_data
        return (
            len(data.get("reference_uploads") or [])
            + len(data.get("reference_files") or [])
            + len(data.get("reference_items") or [])
            + len(data.get("reference_urls") or [])
            + len(data.get("reference_assets") or [])
        )

    def clean(self):
        cleaned = super().clean()
        count = self.reference_count()
        if count > self.max_references:
            raise ValidationError(
                _("Use at most %(n)d reference images (you gave %(count)d).")
                % {"n": self.max_references, "count": count}
            )
        if count < self.min_references:
            raise ValidationError(_("Give at least %(n)d images.") % {"n": self.min_references})
        return cleaned

    def reference_params(self) -> dict:
        """Save uploads and return the params entries (uploads, items, urls) per the contract."""
        uploads_ = [
            uploads.save_reference(self.team, self.user, f)
            for f in self.cleaned_data.get("reference_files") or []
        ]
        params = {
            "reference_uploads": [
                *(self.cleaned_data.get("reference_uploads") or []),
                *(u.pk for u in uploads_),
            ],
            "reference_items": list(self.cleaned_data.get("reference_items") or []),
            "reference_urls": self.cleaned_data.get("reference_urls") or [],
            "reference_assets": list(self.cleaned_data.get("reference_assets") or []),
        }
        if self.assets_as_urls:
            urls = {a.remote_id: a.url for a in self.picker_assets if a.url}
            params["reference_urls"] += [
                urls[i] for i in params.pop("reference_assets") if i in urls
            ]
        return {k: v for k, v in params.items() if v}

    def clean_reference_files(self):
        files = self.cleaned_data.get("reference_files") or []
        for f in files:
            uploads.check_image(f)
            f.seek(0)
        return files

    def _create(self, request, copies: int = 1, **fields) -> Generation:
        """Store COPIES tasks with the same settings (references saved once); the first is
        returned and all of them are in `self.created`. Raises spend.BudgetExceeded (a
        ValidationError) when they do not fit the budget."""
        from .creating import NewGeneration, create_generations

        with transaction.atomic():
            params = {**fields.pop("params", {}), **self.reference_params()}
            items = list(
                MediaItem.objects.filter(team=self.team, pk__in=params.get("reference_items", []))
            )
            new = [
                NewGeneration(params=params, source_items=items, **fields)
                for _copy in range(copies)
            ]
            self.created = create_generations(self.team, self.user, new)
        return self.created[0]


class ImageForm(ReferencesMixin):
    png_jpeg_links_only = True
    model = forms.ChoiceField(
        label=gettext_lazy("Model"),
        choices=choices.IMAGE_MODELS,
        widget=forms.RadioSelect,
        initial=choices.IMAGE_MODELS[0][0],
    )
    prompt = forms.CharField(
        label=gettext_lazy("Describe the image"),
        max_length=4000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": gettext_lazy("A red fox in fresh snow, morning light")}
        ),
    )
    aspect_ratio = forms.ChoiceField(
        label=gettext_lazy("Shape"),
        initial="1:1",
        choices=choices.ratio_choices(choices.IMAGE_RATIOS["gemini-3.1-flash-image-preview"]),
        widget=ModelDependentSelect(choices.IMAGE_RATIOS),
    )
    size = forms.ChoiceField(
        label=gettext_lazy("Size"),
        initial="1K",
        choices=[
            (s, choices.SIZE_LABELS[s])
            for s in choices.IMAGE_SIZES["gemini-3.1-flash-image-preview"]
        ],
        widget=ModelDependentSelect(choices.IMAGE_SIZES),
    )

    count = forms.TypedChoiceField(
        label=gettext_lazy("How many pictures"),
        choices=[(n, str(n)) for n in range(1, 5)],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,  # older pages and scripts send no count: one picture
    )

    field_order = [
        "model",
        "prompt",
        "aspect_ratio",
        "size",
        "count",
        "reference_files",
        "reference_items",
        "reference_urls",
    ]

    def clean(self):
        cleaned = super().clean()
        model = cleaned.get("model")
        if model and cleaned.get("aspect_ratio") not in choices.IMAGE_RATIOS[model]:
            self.add_error(
                "aspect_ratio",
                _("This model does not make %(ratio)s images.")
                % {"ratio": cleaned.get("aspect_ratio")},
            )
        if model and cleaned.get("size") not in choices.IMAGE_SIZES[model]:
            self.add_error(
                "size",
                _("This model does not offer the %(size)s size.") % {"size": cleaned.get("size")},
            )
        return cleaned

    def create(self, request) -> Generation:
        data = self.cleaned_data
        return self._create(
            request,
            kind=Kind.IMAGE,
            action="generate",
            model=data["model"],
            prompt=data["prompt"],
            params={"aspect_ratio": data["aspect_ratio"], "size": data["size"]},
            copies=data["count"],
        )


FLAG = re.compile(
    r"--(ar|aspect|v|version|niji|s|stylize|c|chaos|no|seed|fast|relax|turbo|draft)\b"
)


class MjImagineForm(ReferencesMixin):
    prompt = forms.CharField(
        label=gettext_lazy("Describe the image"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "data-mj-prompt": ""}),
    )
    ar = forms.ChoiceField(
        label=gettext_lazy("Shape"),
        required=False,
        choices=[("", gettext_lazy("Default (1:1)")), *choices.ratio_choices(choices.MJ_RATIOS)],
    )
    version = forms.ChoiceField(
        label=gettext_lazy("Version"), choices=choices.MJ_VERSIONS, required=False
    )
    stylize = forms.IntegerField(
        label=gettext_lazy("Stylize (0–1000)"), min_value=0, max_value=1000, required=False
    )
    chaos = forms.IntegerField(
        label=gettext_lazy("Variety between the four (0–100)"),
        min_value=0,
        max_value=100,
        required=False,
    )
    no = forms.CharField(
        label=gettext_lazy("Leave out (negative prompt)"), max_length=300, required=False
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Seed"), min_value=0, max_value=4294967295, required=False
    )
    speed = forms.ChoiceField(
        label=gettext_lazy("Speed"), choices=choices.MJ_SPEEDS, required=False
    )

    field_order = [
        "prompt",
        "ar",
        "version",
        "stylize",
        "chaos",
        "no",
        "seed",
        "speed",
        "reference_files",
        "reference_items",
        "reference_urls",
    ]

    def flags(self) -> dict:
        data = self.cleaned_data
        return {
            k: data.get(k)
            for k in ("ar", "version", "stylize", "chaos", "no", "seed", "speed")
            if data.get(k) not in (None, "")
        }

    def final_prompt(self) -> str:
        """The prompt with the helper settings written as flags (flags typed by hand win)."""
        base = self.cleaned_data["prompt"].strip()
        typed = set(FLAG.findall(base))
        parts, f = [base], self.flags()
        if "ar" in f and not typed & {"ar", "aspect"}:
            parts.append(f"--ar {f['ar']}")
        if "version" in f and not typed & {"v", "version", "niji"}:
            parts.append(
                f"--{f['version']}" if f["version"].startswith("niji") else f"--v {f['version']}"
            )
        if "stylize" in f and not typed & {"s", "stylize"}:
            parts.append(f"--stylize {f['stylize']}")
        if "chaos" in f and not typed & {"c", "chaos"}:
            parts.append(f"--chaos {f['chaos']}")
        if "no" in f and "no" not in typed:
            parts.append(f"--no {f['no']}")
        if "seed" in f and "seed" not in typed:
            parts.append(f"--seed {f['seed']}")
        if "speed" in f and not typed & {"fast", "relax", "turbo", "draft"}:
            parts.append(f"--{f['speed']}")
        return " ".join(parts)

    def create(self, request) -> Generation:
        return self._create(
            request,
            kind=Kind.MIDJOURNEY,
            action="imagine",
            model="midjourney",
            prompt=self.final_prompt(),
            params={"base_prompt": self.cleaned_data["prompt"], "flags": self.flags()},
        )


class MjBlendForm(ReferencesMixin):
    dimensions = forms.ChoiceField(
        label=gettext_lazy("Shape"), choices=choices.BLEND_DIMENSIONS, initial="SQUARE"
    )
    max_references = 5
    min_references = 2

    field_order = ["dimensions", "reference_files", "reference_items", "reference_urls"]

    def create(self, request) -> Generation:
        return self._create(
            request,
            kind=Kind.MIDJOURNEY,
            action="blend",
            model="midjourney",
            prompt="",
            params={"dimensions": self.cleaned_data["dimensions"]},
        )


class VideoForm(ReferencesMixin):
    assets_as_urls = False
    model = forms.ChoiceField(
        label=gettext_lazy("Model"),
        choices=choices.VIDEO_MODELS,
        widget=forms.RadioSelect,
        initial="ima-pro",
    )
    prompt = forms.CharField(
        label=gettext_lazy("Describe the video"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": gettext_lazy("Slow dolly-in on a tea cup, warm light")}
        ),
    )
    role_mode = forms.ChoiceField(
        label=gettext_lazy("How the images are used"),
        choices=choices.ROLE_MODES,
        initial="reference",
        widget=forms.RadioSelect,
    )
    duration = forms.TypedChoiceField(
        label=gettext_lazy("Length"),
        coerce=int,
        initial=5,
        choices=[(d, choices.seconds_label(d)) for d in choices.VIDEO_DURATIONS],
    )
    resolution = forms.ChoiceField(
        label=gettext_lazy("Resolution"),
        initial="720p",
        choices=[(r, r) for r in choices.VIDEO_RESOLUTIONS],
        widget=ModelDependentSelect(
            {
                "ima-pro": choices.VIDEO_RESOLUTIONS,
                "ima-pro-fast": choices.FAST_VIDEO_RESOLUTIONS,
            }
        ),
    )
    aspect_ratio = forms.ChoiceField(
        label=gettext_lazy("Shape"),
        initial="16:9",
        choices=choices.ratio_choices(choices.VIDEO_RATIOS),
    )
    audio = forms.BooleanField(label=gettext_lazy("Generate sound"), required=False)
    reference_video_urls = forms.CharField(
        label=gettext_lazy("Reference video links (optional, up to 3)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reference_audio_urls = forms.CharField(
        label=gettext_lazy("Reference audio links (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = [
        "model",
        "prompt",
        "role_mode",
        "reference_files",
        "reference_items",
        "reference_urls",
        "duration",
        "resolution",
        "aspect_ratio",
        "audio",
        "reference_video_urls",
        "reference_audio_urls",
    ]

    def clean_reference_video_urls(self):
        return http_urls(
            self.cleaned_data.get("reference_video_urls", ""), choices.MAX_REFERENCE_CLIPS
        )

    def clean_reference_audio_urls(self):
        return http_urls(
            self.cleaned_data.get("reference_audio_urls", ""), choices.MAX_REFERENCE_CLIPS
        )

    def clean(self):
        cleaned = super().clean()
        images = self.reference_count()
        clips = len(cleaned.get("reference_video_urls") or []) + len(
            cleaned.get("reference_audio_urls") or []
        )
        if not (cleaned.get("prompt") or "").strip() and not (images or clips):
            self.add_error("prompt", _("Describe the video, or give at least one image or clip."))
        if cleaned.get("role_mode") == "frame":
            if not 1 <= images <= 2:
                self.add_error(
                    "role_mode",
                    _(
                        "First/last frame mode needs one image (first frame) or two (first and last)."
                    ),
                )
            if clips:
                self.add_error(
                    "role_mode",
                    _("First/last frame mode cannot be combined with reference video or audio."),
                )
        if (
            cleaned.get("model") == "ima-pro-fast"
            and cleaned.get("resolution") not in choices.FAST_VIDEO_RESOLUTIONS
        ):
            self.add_error("resolution", _("IMA-Pro Fast makes 480p or 720p videos only."))
        return cleaned

    def create(self, request) -> Generation:
        d = self.cleaned_data
        params = {
            "role_mode": d["role_mode"],
            "duration": d["duration"],
            "resolution": d["resolution"],
            "aspect_ratio": d["aspect_ratio"],
            "audio": d["audio"],
        }
        if d.get("reference_video_urls"):
            params["reference_video_urls"] = d["reference_video_urls"]
        if d.get("reference_audio_urls"):
            params["reference_audio_urls"] = d["reference_audio_urls"]
        return self._create(
            request,
            kind=Kind.VIDEO,
            action="generate",
            model=d["model"],
            prompt=d["prompt"],
            params=params,
        )


MJ_ACTION_CHOICES = [
    "upscale",
    "variation",
    "low_variation",
    "high_variation",
    "reroll",
    "zoom",
    "custom_zoom",
    "pan",
    "inpaint",
    "remix",
]


class MjActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in MJ_ACTION_CHOICES])
    index = forms.IntegerField(min_value=1, max_value=4, initial=1)
    scale = forms.FloatField(required=False)
    direction = forms.ChoiceField(required=False, choices=[("", "")] + choices.PAN_DIRECTIONS)
    mode = forms.ChoiceField(
        required=False,
        choices=[("", ""), *choices.REMIX_MODES],
    )
    remix_prompt = forms.CharField(
        required=False, max_length=4000, label=gettext_lazy("New prompt")
    )
    mask = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *args, **kwargs):
        # Buttons without JavaScript send one value, "do" = action:index[:argument].
        if data is not None and data.get("do"):
            data = data.copy()
            parts = data["do"].split(":")
            data["action"], data["index"] = parts[0], parts[1] if len(parts) > 1 else "1"
            if len(parts) > 2:
                data["direction" if parts[0] == "pan" else "scale"] = parts[2]
        super().__init__(data, *args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if action in {"zoom", "custom_zoom"}:
            scale = cleaned.get("scale") or 2.0
            if not 1.1 <= scale <= 2.0:
                self.add_error("scale", _("Zoom out between 1.1× and 2×."))
            cleaned["scale"] = scale
        if action == "pan":
            if not cleaned.get("direction"):
                self.add_error("direction", _("Choose a direction."))
            cleaned["scale"] = cleaned.get("scale") or 1.5
        if action == "remix" and not (cleaned.get("remix_prompt") or "").strip():
            self.add_error("remix_prompt", _("Write the new prompt for the remix."))
        if action == "inpaint" and not cleaned.get("mask"):
            self.add_error("mask", _("Draw the area to change on the image first."))
        return cleaned
