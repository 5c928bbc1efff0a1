"""Messages that Django and django-allauth show but whose Chinese translations do not fit ours.

- Django 5.2 reworded the "password too short" error (now `%d`), and its zh_Hans catalogue still
  has only the old wording, so Chinese users saw English.
- django-allauth's Chinese says 您 and 电子邮件 where the rest of the app says 你 and 邮箱.

Naming the messages here puts them in our catalogue, which Django consults before the others.
Nothing imports this module.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "n",
)

ALLAUTH = [
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("Please type your current password."),
    gettext_noop("The password reset token was invalid."),
    gettext_noop("The email address is not assigned to any user account."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("Email"),
    gettext_noop("Email address"),
    gettext_noop("Are you sure you want to sign out?"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an email allowing you to reset it."
    ),
    gettext_noop("Your password is now changed."),
    gettext_noop(
        "We have sent you an email. If you have not received it please check your spam folder. Otherwise contact us if you do not receive it in a few minutes."
    ),
]
