from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = _("Generations and gallery")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        import audit

        from . import search, signals  # noqa: F401  (connects the receivers)

        audit.register_kinds({"board.deleted": _("Board deleted")})

        post_migrate.connect(search.ensure_sqlite_index, sender=self)
