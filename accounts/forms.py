from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .base_url import base_url_problem, same_base_url
from .models import Role, User


class NoColonMixin:
    """Labels without Django's trailing colon, like the create forms (one look everywhere)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class NoColonForm(NoColonMixin, forms.Form):
    pass


EXPIRY_CHOICES = [(1, _("1 day")), (7, _("7 days")), (30, _("30 days"))]


class TeamNameForm(NoColonForm):
    name = forms.CharField(label=_("Team name"), max_length=100)


class ApiSettingsForm(NoColonForm):
    api_key = forms.CharField(
        label=_("Zcheap API key"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Leave empty to keep the current key. A new key is tried with Zcheap before it "
            "is saved, and stored encrypted."
        ),
    )
    clear_api_key = forms.BooleanField(
        label=_("Remove the key (switch to demo mode)"), required=False
    )
    base_url = forms.CharField(
        label=_("Base URL"),
        required=False,
        max_length=200,
    )

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["base_url"].help_text = _("Leave empty for the default (%(url)s).") % {
            "url": settings.ZCHEAP_BASE_URL
        }

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"].strip()
        if key and (any(c.isspace() for c in key) or len(key) < 8):
            raise forms.ValidationError(_("This does not look like an API key."))
        return key

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip().rstrip("/")
        if url:
            URLValidator(schemes=["http", "https"])(url)
            problem = base_url_problem(url)
            if problem:
                raise forms.ValidationError(problem)
        return url

    def clean(self):
        """A new base URL needs the key typed again: the key is sent to that address, so keeping
        the stored one would let whoever can edit the URL collect it."""
        cleaned = super().clean()
        url = cleaned.get("base_url")
        team = self.team
        if url is None or team is None or not team.api_key_encrypted:
            return cleaned
        moved = not same_base_url(url or settings.ZCHEAP_BASE_URL, team.effective_base_url)
        if moved and not cleaned.get("api_key") and not cleaned.get("clear_api_key"):
            self.add_error(
                "api_key",
                _("Enter the API key again to change the base URL: the key is sent there."),
            )
        return cleaned


class InvitationForm(NoColonForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    email = forms.EmailField(label=_("E-mail (optional, for your records)"), required=False)
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires after"), choices=EXPIRY_CHOICES, coerce=int, initial=7
    )

    def __init__(self, *args, can_invite_owner: bool = False, **kwargs):
        kwargs.setdefault("auto_id", "id_invite_%s")  # the team page also has the member form
        super().__init__(*args, **kwargs)
        if not can_invite_owner:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]


class RoleForm(NoColonForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class SetPasswordMixin(NoColonForm):
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput, strip=False
    )

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class AcceptInvitationForm(SetPasswordMixin):
    email = forms.EmailField(label=_("E-mail"))
    display_name = forms.CharField(label=_("Your name"), max_length=80, required=False)

    field_order = ["email", "display_name", "password1", "password2"]
    EXISTS_MESSAGE = _(
        "An account with this e-mail exists already: log in first, then open the link."
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(self.EXISTS_MESSAGE)
        return email


class CreateMemberForm(SetPasswordMixin):
    """Add a person by e-mail. The form asks the same of every address (a password included) and
    never says whether an account exists: that would let any admin probe who uses the app."""

    email = forms.EmailField(label=_("E-mail"))
    display_name = forms.CharField(
        label=pgettext_lazy("a person's", "Name"), max_length=80, required=False
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)

    field_order = ["email", "display_name", "role", "password1", "password2"]

    def __init__(self, *args, can_invite_owner: bool = False, **kwargs):
        kwargs.setdefault("auto_id", "id_member_%s")  # unique ids next to the invitation form
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = _(
            "Used only if this e-mail has no account yet; give it to the person."
        )
        if not can_invite_owner:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()


class NewTeamForm(NoColonForm):
    name = forms.CharField(label=_("Team name"), max_length=100)
