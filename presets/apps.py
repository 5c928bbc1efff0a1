from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PresetsConfig(AppConfig):
    name = "presets"
    verbose_name = _("Presets and batches")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the batch receivers
