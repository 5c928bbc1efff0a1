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
from django.utils.translation import get_language

register = template.Library()

_MARKER = 7_390_146_258_130  # larger than any id; stands for integer argument i as _MARKER + i
_patterns: dict[tuple, tuple[str, list[tuple[str, int]]]] = {}


def cached_reverse(view_name: str, args=(), current_app: str | None = None) -> str:
    """reverse(VIEW_NAME, args=ARGS, current_app=CURRENT_APP), remembered (see above). Not
    escaped; raises NoReverseMatch as reverse does."""
    if not all((type(a) is int and a >= 0) or type(a) is str for a in args):  # bool, lazy, …
        return reverse(view_name, args=args, current_app=current_app)
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
            return reverse(view_name, args=args, current_app=current_app)  # never ambiguous
        found = _patterns[key] = (reversed_url, slots)
    pattern, slots = found
    for marker, i in slots:
        pattern = pattern.replace(marker, str(args[i]))
    return pattern


class CachedURLNode(URLNode):
    def render(self, context):
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
