"""`{% load i18n %}` with literal translations remembered (swapped in by zcheap_site/templates.py).

Django's `{% translate "Gallery" %}` builds a lazy string, looks it up in the active catalogue
and escapes it on every render: ~20 µs, and a page of this app renders 50–70 of them (the layout
alone about 40), a fifth of a gallery page's CPU. For a literal message with no context,
variable or `as`, the output is a pure function of the language and of autoescaping (catalogues
are loaded once per process), so it is rendered once per process and remembered. Every other
form of the tag, and every other tag and filter of the library, is Django's own.
"""

from __future__ import annotations

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags import i18n
from django.utils.translation import get_language

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)

_rendered: dict[tuple, str] = {}


@receiver(setting_changed)
def _forget(setting, **kwargs) -> None:
    """Tests that change the languages or catalogues get fresh text (as Django's own do)."""
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}:
        _rendered.clear()


class RememberedTranslateNode(i18n.TranslateNode):
    def render(self, context):
        key = (get_language(), self.filter_expression.var.literal, context.autoescape)
        try:
            return _rendered[key]
        except KeyError:
            value = _rendered[key] = super().render(context)
            return value


@register.tag("translate")
@register.tag("trans")
def translate(parser, token):
    node = i18n.do_translate(parser, token)
    expression = node.filter_expression
    literal = getattr(expression.var, "literal", None)
    if (
        isinstance(literal, str)
        and not expression.filters
        and not node.noop
        and node.asvar is None
        and node.message_context is None
    ):
        remembered = RememberedTranslateNode(expression, node.noop)
        remembered.token = node.token
        return remembered
    return node
