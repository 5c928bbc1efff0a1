"""Messages that Django itself shows but whose Chinese translation Django's catalogue lacks.

Django 5.2 reworded the "password too short" error (now `%d`), and its zh_Hans catalogue still
has only the old wording, so Chinese users saw English. Naming the message here puts it in our
catalogue, which Django consults before its own. Nothing imports this module.
"""

from __future__ import annotations

from django.utils.translation import ngettext_lazy

PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "n",
)
