"""Spend: the team's cached price list and balance, monthly budgets, and a ledger row per task.

Money is stored as integer micro-USD (1 USD = 1,000,000) so that budget arithmetic in SQL is
exact on SQLite and PostgreSQL alike; pages convert it to the gateway's unit (spend/money.py).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team

MICROS = 1_000_000


def current_month() -> datetime.date:
    """The budget period: the calendar month in the site's time zone."""
    return timezone.localdate().replace(day=1)


class SpendAccount(models.Model):
    """Per team: the last price list read, the key's balance, the balance alert."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="spend")
    prices = models.JSONField(null=True, blank=True)  # the last price list read successfully
    prices_at = models.DateTimeField(null=True, blank=True)
    prices_tried_at = models.DateTimeField(null=True, blank=True)
    prices_error = models.CharField(max_length=300, blank=True)
    member_default_micros = models.BigIntegerField(null=True, blank=True)
    balance_micros = models.BigIntegerField(null=True, blank=True)  # remaining, None: unknown
    balance_total_micros = models.BigIntegerField(null=True, blank=True)
    balance_unlimited = models.BooleanField(default=False)
    balance_at = models.DateTimeField(null=True, blank=True)
    balance_error = models.CharField(max_length=300, blank=True)
    balance_threshold_micros = models.BigIntegerField(null=True, blank=True)
    # True while the balance is below the threshold: set by one conditional UPDATE, so the
    # admins get one e-mail per crossing, however many processes see the low balance.
    balance_low = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Spend of {self.team}"

    @property
    def shows_low_balance(self) -> bool:
        return bool(self.balance_low and self.balance_micros is not None)


class Budget(models.Model):
    """A monthly budget: the team's (user is None) or one member's. `spent` counts what this
    month's tasks reserved at submit, corrected to what they were charged, less refunds."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="budgets")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    limit_micros = models.BigIntegerField(null=True, blank=True)  # None: no limit
    topup_micros = models.BigIntegerField(default=0)  # one-off extra for this month only
    spent_micros = models.BigIntegerField(default=0)
    month = models.DateField(default=current_month)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                name="one_budget_per_member",
                condition=models.Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["team"], name="one_team_budget", condition=models.Q(user__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"Budget of {self.user or self.team}"

    def this_month(self) -> tuple[int, int]:
        """(spent, topup) for the current month (a row not touched since last month is 0, 0)."""
        if self.month != current_month():
            return 0, 0
        return self.spent_micros, self.topup_micros

    @property
    def allowed_micros(self) -> int | None:
        if self.limit_micros is None:
            return None
        return self.limit_micros + self.this_month()[1]

    @property
    def spent_this_month(self) -> int:
        return self.this_month()[0]

    @property
    def percent(self) -> int | None:
        allowed = self.allowed_micros
        if allowed is None:
            return None
        if allowed <= 0:
            return 100
        return int(self.spent_this_month * 100 // allowed)

    @property
    def remaining_micros(self) -> int | None:
        allowed = self.allowed_micros
        return None if allowed is None else max(0, allowed - self.spent_this_month)


class ChargeStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    CHARGED = "charged", _("Charged")
    REFUND_EXPECTED = "refund_expected", _("Refund expected")
    REFUNDED = "refunded", _("Refunded")
    NOT_CHARGED = "not_charged", _("Not charged")
    UNSURE = "unsure", _("May be charged")


class ChargeSource(models.TextChoices):
    NONE = "", _("Not known yet")
    AMOUNT = "amount_usd", _("Zcheap's task reply")
    LOG = "log", _("Zcheap's usage log")
    PRICE_LIST = "price_list", _("Price list")
    ESTIMATE = "estimate", _("Estimate")


class Charge(models.Model):
    """The ledger line of one generation: estimated at submit, charged when known, refunded."""

    generation = models.OneToOneField(
        "gallery.Generation", on_delete=models.CASCADE, related_name="charge"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="charges")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=10)
    model = models.CharField(max_length=60, blank=True)
    billing_model = models.CharField(max_length=80, blank=True)
    month = models.DateField(default=current_month)
    created_at = models.DateTimeField(default=timezone.now)
    estimated_micros = models.BigIntegerField(null=True, blank=True)  # None: prices unknown
    approximate = models.BooleanField(default=False)
    # What this task now counts in its month's budgets (the estimate, then the charge, 0 once
    # refunded); moved only together with the budgets, in one conditional UPDATE.
    reserved_micros = models.BigIntegerField(default=0)
    charged_micros = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=12, choices=ChargeSource.choices, blank=True)
    status = models.CharField(
        max_length=16, choices=ChargeStatus.choices, default=ChargeStatus.RESERVED
    )
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["team", "created_at"], name="charge_team_created"),
            models.Index(fields=["team", "user", "created_at"], name="charge_team_user_created"),
            models.Index(fields=["team", "status"], name="charge_team_status"),
        ]

    def __str__(self) -> str:
        return f"Charge of generation {self.generation_id} ({self.status})"

    @property
    def spent_micros(self) -> int:
        """What this task counts as spent: the charge when known, else the estimate; 0 when it
        was refunded or never charged."""
        if self.status in (ChargeStatus.REFUNDED, ChargeStatus.NOT_CHARGED):
            return 0
        if self.status == ChargeStatus.REFUND_EXPECTED:
            return 0
        if self.charged_micros is not None:
            return self.charged_micros
        return self.estimated_micros or 0
