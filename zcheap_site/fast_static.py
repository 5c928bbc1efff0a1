"""`{% load static %}` with a literal path's URL remembered (swapped in: zcheap_site/templates.py).

`{% static 'css/app.css' %}` asks the storage for the URL on every render (with the manifest
storage of production: the hashed name, then a URL join), and the layout has eleven of them on
every page. For a literal path the URL is fixed for the life of a process (the manifest is read
once at start), so each is built once per process. Anything else is Django's own tag.
"""

from __future__ import annotations

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags import static

register = template.Library()
register.tags.update(static.register.tags)
register.filters.update(static.register.filters)

_urls: dict[str, str] = {}


@receiver(setting_changed)
def _forget(setting, **kwargs) -> None:
    """Tests that change where static files live get fresh URLs (as Django's storage does)."""
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES"}:
        _urls.clear()


class RememberedStaticNode(static.StaticNode):
    def __init__(self, varname, path, literal: str):
        super().__init__(varname=varname, path=path)
        self.literal = literal

    def url(self, context):
        try:
            return _urls[self.literal]
        except KeyError:
            url = _urls[self.literal] = super().url(context)
            return url


@register.tag("static")
def do_static(parser, token):
    node = static.do_static(parser, token)
    # A quoted path is compiled to the string itself (a variable would be a Variable).
    if isinstance(node.path.var, str) and not node.path.filters:
        return RememberedStaticNode(node.varname, node.path, str(node.path.var))
    return node
