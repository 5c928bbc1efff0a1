from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DEFAULT_DAYS, MAX_DAYS


class CreateLinkForm(forms.Form):
    title = forms.CharField(
        label=_("Title (shown to the reviewer)"), max_length=120, required=False
    )
    days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS
    )
    password = forms.CharField(
        label=_("Password (optional)"),
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    show_prompts = forms.BooleanField(label=_("Show prompts and settings"), required=False)


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("changes", _("Request changes"))]
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)
    name = forms.CharField(label=_("Your name"), max_length=80)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Tell the team who you are."))
        return name
