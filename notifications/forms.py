from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .delivery import WebhookRefused, check_address
from .models import EVENTS, NotificationSettings, Webhook, WebhookFormat


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["email_long_tasks", "daily_digest"]


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    format = forms.ChoiceField(label=_("Format"), choices=WebhookFormat.choices)
    url = forms.URLField(
        label=_("Webhook URL"),
        max_length=1000,
        required=False,
        assume_scheme="https",
        help_text=_("Stored encrypted; only its host is shown again. Leave empty to keep it."),
    )
    secret = forms.CharField(
        label=_("Signing secret (optional)"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Generic JSON: the key of the X-Zcheap-Signature header. Feishu/Lark and DingTalk: "
            "the bot's signing secret. Leave empty to keep the one saved."
        ),
    )
    clear_secret = forms.BooleanField(label=_("Remove the saved secret"), required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=list(EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, instance: Webhook | None = None, **kwargs):
        self.instance = instance
        super().__init__(*args, **kwargs)
        if instance is None:
            self.fields["url"].required = True
            self.fields["url"].help_text = _(
                "Stored encrypted; only its host is shown again (the path often holds a token)."
            )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if url:
            try:
                check_address(url)
            except WebhookRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        return url

    def save(self, team, user, language: str) -> Webhook:
        data = self.cleaned_data
        hook = self.instance or Webhook(team=team, created_by=user, language=language)
        hook.name = data["name"]
        hook.format = data["format"]
        hook.events = list(data["events"])
        hook.active = data["active"]
        if data["url"]:
            hook.set_url(data["url"])
        if data["clear_secret"]:
            hook.set_secret("")
        elif data["secret"]:
            hook.set_secret(data["secret"])
        hook.save()
        return hook
