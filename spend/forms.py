"""Budget forms: amounts are typed in the gateway's unit and stored as micro-USD."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from . import money

MAX_AMOUNT = Decimal("1000000000")


def _amount_field(label, *, required=False, help_text=""):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        decimal_places=4,
        max_digits=16,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class TeamSpendForm(forms.Form):
    team_budget = _amount_field(_("Monthly team budget"), help_text=_("Leave empty for no limit."))
    member_default = _amount_field(
        _("Monthly budget of new members"), help_text=_("Leave empty for no limit.")
    )
    balance_threshold = _amount_field(
        _("Warn the admins when the balance falls below"),
        help_text=_("Leave empty for no warning."),
    )

    def micros(self, name: str) -> int | None:
        return money.from_unit(self.cleaned_data.get(name))


class MemberBudgetForm(forms.Form):
    budget = _amount_field(_("Monthly budget"), help_text=_("Leave empty for no limit."))

    def micros(self) -> int | None:
        return money.from_unit(self.cleaned_data.get("budget"))


class TopUpForm(forms.Form):
    amount = _amount_field(_("One-off top-up for this month"), required=True)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("Give an amount above zero."))
        return amount

    def micros(self) -> int:
        return money.from_unit(self.cleaned_data["amount"]) or 0


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    member = forms.IntegerField(required=False, widget=forms.HiddenInput)
