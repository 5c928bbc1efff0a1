"""`{% url %}` with the reversal remembered: a template builtin that replaces Django's tag.

Reversing walks the resolver's patterns and quotes every argument: ~15 µs a URL, ≈ 30 URLs in
the layout and item page and 7 per task card. A URL is a pure function of the view name, its
arguments, the URLconf, the script prefix and the namespace being served, so each distinct
(name, fixed arguments) is reversed once per process; integer arguments (ids) are put into the
remembered pattern in place of a marker number, never reversed again. Anything else (keyword
arguments, other types) goes through Django's `reverse` as before.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_MARKER = 7_390_146_258_130  # larger than any id; stands for integer argument i as _MARKER + i
# (pattern, the same HTML-escaped, [(marker, argument index)]); the marker and the ids put in
# its place are digits, which escaping leaves alone, so the escaped pattern takes ids as is.
_patterns: dict[tuple, tuple[str, str, list[tuple[str, int]]]] = {}
_NO_APP = object()


def _remembered(view_name: str, args, current_app: str | None):
    """The remembered (pattern, escaped pattern, slots) for ARGS, or None when ARGS hold
    anything but non-negative integers and strings (those are reversed every time)."""
    for a in args:
        if not ((type(a) is int and a >= 0) or type(a) is str):  # bool, lazy, …
            return None
    key = (
        view_name,
        current_app,
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        get_language(),
        *(a if type(a) is str else None for a in args),
    )
    found = _patterns.get(key)
    if found is None:
        markers = [a if type(a) is str else _MARKER + i for i, a in enumerate(args)]
        reversed_url = reverse(view_name, args=markers, current_app=current_app)
        slots = [(str(m), i) for i, m in enumerate(markers) if type(m) is not str]
        if any(reversed_url.count(marker) != 1 for marker, _i in slots):
            return None  # never ambiguous
        found = _patterns[key] = (reversed_url, str(conditional_escape(reversed_url)), slots)
    return found


def _fill(pattern: str, slots, args) -> str:
    for marker, i in slots:
        pattern = pattern.replace(marker, str(args[i]))
    return pattern


def cached_reverse(view_name: str, args=(), current_app: str | None = None) -> str:
    """reverse(VIEW_NAME, args=ARGS, current_app=CURRENT_APP), remembered (see above). Not
    escaped; raises NoReverseMatch as reverse does."""
    found = _remembered(view_name, args, current_app)
    if found is None:
        return reverse(view_name, args=args, current_app=current_app)
    return _fill(found[0], found[2], args)


class CachedURLNode(URLNode):
    def render(self, context):
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", _NO_APP)
        if current_app is _NO_APP:  # as Django's tag: the request's, else its URL namespace
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        url = ""
        escaped = None
        try:
            found = _remembered(view_name, args, current_app)
            if found is None:
                url = reverse(view_name, args=args, current_app=current_app)
            else:
                url = _fill(found[0], found[2], args)
                escaped = _fill(found[1], found[2], args)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        if not context.autoescape:
            return url
        return mark_safe(escaped) if escaped is not None else conditional_escape(url)  # noqa: S308


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
