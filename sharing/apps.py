from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = _("Review links")

    def ready(self) -> None:
        import audit

        audit.register_kinds(
            {
                "review_link.created": _("Review link created"),
                "review_link.revoked": _("Review link revoked"),
            }
        )
