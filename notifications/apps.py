from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        import audit

        from . import receivers  # noqa: F401  (connects the listeners)

        audit.register_kinds(
            {
                "webhook.created": _("Webhook created"),
                "webhook.changed": _("Webhook changed"),
                "webhook.deleted": _("Webhook deleted"),
            }
        )
