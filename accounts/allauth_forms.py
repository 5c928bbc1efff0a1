"""django-allauth's forms with labels like the rest of the app (no trailing colon)."""

from __future__ import annotations

from allauth.account import forms as allauth


class _NoColon:
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(_NoColon, allauth.LoginForm):
    pass


class ResetPasswordForm(_NoColon, allauth.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(_NoColon, allauth.ResetPasswordKeyForm):
    pass


class ChangePasswordForm(_NoColon, allauth.ChangePasswordForm):
    pass


class SetPasswordForm(_NoColon, allauth.SetPasswordForm):
    pass


class SignupForm(_NoColon, allauth.SignupForm):
    pass
