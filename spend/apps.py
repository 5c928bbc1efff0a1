from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpendConfig(AppConfig):
    name = "spend"
    verbose_name = _("Spend")

    def ready(self) -> None:
        import audit
        from gallery.models import generation_finished

        from .signals import generation_settles, member_joins

        audit.register_kinds(
            {
                "budget.changed": _("Budget changed"),
                "budget.topup": _("Budget top-up granted"),
                "budget.settings": _("Spend settings changed"),
            }
        )
        generation_finished.connect(generation_settles, dispatch_uid="spend-settle")
        from django.db.models.signals import post_save

        from accounts.models import Membership

        post_save.connect(member_joins, sender=Membership, dispatch_uid="spend-member-budget")
