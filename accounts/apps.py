from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and teams")

    def ready(self) -> None:
        from zcheap_site import db_health  # noqa: F401  (connects its request receivers)

        from . import signals  # noqa: F401  (connects the receivers)
