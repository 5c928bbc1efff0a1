from __future__ import annotations

from django import template

from spend import money as m

register = template.Library()


@register.filter
def money(micros):
    """Micro-USD → "$1.23" / "¥8.98" / "12,300 tokens" in the reader's language."""
    return m.format_money(micros)


@register.filter
def money_plain(micros):
    return m.plain(micros)


@register.simple_tag
def money_unit():
    return m.unit_label()
