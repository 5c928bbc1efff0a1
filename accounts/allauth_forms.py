"""django-allauth's forms with labels like the rest of the app (no trailing colon)."""

from __future__ import annotations

from allauth.account import forms as allauth

from .forms import NoColonMixin


class LoginForm(NoColonMixin, allauth.LoginForm):
    pass


class ResetPasswordForm(NoColonMixin, allauth.ResetPasswordForm):
    pass


class ResetPasswordKeyForm(NoColonMixin, allauth.ResetPasswordKeyForm):
    pass


class ChangePasswordForm(NoColonMixin, allauth.ChangePasswordForm):
    pass


class SetPasswordForm(NoColonMixin, allauth.SetPasswordForm):
    pass


class SignupForm(NoColonMixin, allauth.SignupForm):
    pass
