"""The template backend: Django's, with two tag libraries swapped for remembering versions.

`{% load i18n %}` and `{% load static %}` give `zcheap_site.fast_i18n` and
`zcheap_site.fast_static` (a literal `{% translate %}` / `{% static %}` rendered once per process;
every other tag and filter of those libraries is Django's own). They are swapped here rather than
named in OPTIONS["libraries"], which would list two modules under one name (templates.W003, and
`check --deploy --fail-level WARNING` fails on it).
"""

from __future__ import annotations

from django.template.backends.django import DjangoTemplates as DjangoBackend
from django.template.library import import_library

SWAPPED = {"i18n": "zcheap_site.fast_i18n", "static": "zcheap_site.fast_static"}


class DjangoTemplates(DjangoBackend):
    def __init__(self, params):
        super().__init__(params)
        for name, path in SWAPPED.items():
            self.engine.template_libraries[name] = import_library(path)
