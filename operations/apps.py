from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = pgettext_lazy("worker health page", "Operations")
