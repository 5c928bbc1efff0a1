"""Warm a web process before it serves: what every request needs and is built once per process.

gunicorn runs this in its master after loading the app (`preload_app`, deploy/gunicorn.conf.py),
before it forks the workers, so a new worker (at start, after `max_requests`, after a HUP) is a
copy of a warm process: without it each worker's first requests paid for compiling the layout,
the gallery and the card templates, loading both languages' catalogues and date formats,
reading the static files' manifest and walking the URLconf (a cold first gallery page cost
several times a warm one; `bench/bench_cold.py` measures it).

Nothing here touches the database, a cache or any other connection: whatever the master opens
would be shared by every forked worker (two processes on one socket). `warm()` ends by closing
every database connection and every cache client anyway, and the gunicorn `pre_fork` hook closes
database connections again before each fork (tests/test_warmup.py checks that warming opens
none).
"""

from __future__ import annotations

import contextlib
import logging
import time

log = logging.getLogger(__name__)

# The pages every open tab and every browsing person hits; the templates they include or extend
# with a literal name are followed from these.
HOT_TEMPLATES = [
    "base.html",
    "gallery/home.html",
    "gallery/browse.html",
    "gallery/item_detail.html",
    "gallery/history.html",
    "gallery/_poll_reply.html",
    "gallery/_cards.html",
    "gallery/_grid_items.html",
    "account/login.html",
    "404.html",
]
# Paths resolved once so the URL patterns on their way compile their regular expressions.
HOT_PATHS = ["/", "/gallery/", "/gallery/1/", "/history/", "/tasks/poll/", "/media/1/small/"]
FORMATS = [
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "DECIMAL_SEPARATOR",
    "THOUSAND_SEPARATOR",
    "NUMBER_GROUPING",
    "FIRST_DAY_OF_WEEK",
]


def _literal(expression) -> str | None:
    """The string a template's FilterExpression stands for when it is a plain literal."""
    var = getattr(expression, "var", None)
    literal = getattr(var, "literal", None)
    if isinstance(literal, str) and not getattr(expression, "filters", None):
        return literal
    return var if isinstance(var, str) and not getattr(expression, "filters", None) else None


def _nodes(template):
    from django.template.base import Node

    return template.nodelist.get_nodes_by_type(Node)


def _templates(engine, names: list[str]) -> list:
    """NAMES and every template they extend or include by a literal name, compiled through
    the engine's (cached) loaders."""
    from django.template import TemplateDoesNotExist
    from django.template.loader_tags import ExtendsNode, IncludeNode

    seen, found, queue = set(), [], list(names)
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            template = engine.get_template(name).template
        except TemplateDoesNotExist:
            log.warning("warm-up: no template %s", name)
            continue
        found.append(template)
        for node in _nodes(template):
            if isinstance(node, ExtendsNode):
                parent = _literal(node.parent_name)
            elif isinstance(node, IncludeNode):
                parent = _literal(node.template)
            else:
                continue
            if parent:
                queue.append(parent)
    return found


def _resolvers(resolver):
    """RESOLVER and every resolver included under it (a namespace's patterns are walked only
    when a URL in it is first reversed)."""
    from django.urls import URLResolver

    yield resolver
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _resolvers(pattern)


def warm() -> dict[str, float]:
    """Build what a web process builds on its first requests; returns what was warmed and the
    seconds it took. Needs Django set up (loading the WSGI app does it); opens no connection."""
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connections
    from django.template import Context, engines
    from django.urls import NoReverseMatch, Resolver404, get_resolver
    from django.utils import formats, timezone, translation

    from accounts.backends import _memberships_reader
    from gallery.browse import warm_item_page_words
    from gallery.generation import warm_card_words
    from zcheap_site import layout
    from zcheap_site.fast_i18n import RememberedTranslateNode
    from zcheap_site.fast_static import RememberedStaticNode
    from zcheap_site.fast_url import CachedURLNode, _remembered

    started = time.perf_counter()
    engine = engines["django"]
    resolver = get_resolver()
    templates = _templates(engine, HOT_TEMPLATES)
    translations = [n for t in templates for n in _nodes(t) if type(n) is RememberedTranslateNode]
    statics = [n for t in templates for n in _nodes(t) if type(n) is RememberedStaticNode]
    # {% url %}s with a literal view name: a string argument as written, any other an id.
    urls = set()
    for node in (n for t in templates for n in _nodes(t) if type(n) is CachedURLNode):
        name = _literal(node.view_name)
        if name and not node.kwargs:
            urls.add((name, tuple(_literal(a) or 1 for a in node.args)))
    matches = []
    for path in HOT_PATHS:
        try:
            matches.append(resolver.resolve(path))
        except Resolver404:
            log.warning("warm-up: %s no longer resolves", path)

    timezone.get_default_timezone()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for each in _resolvers(resolver):
                each.reverse_dict  # noqa: B018 - built per language on first use
                each.namespace_dict  # noqa: B018
                each.app_dict  # noqa: B018
            layout._words()  # the header's words and URLs (zcheap_site/layout.py)
            warm_item_page_words()
            for match in matches:  # the navigation as the hot pages show it
                for operations in (False, True):
                    layout.remembered_nav(match.url_name or "", match.app_name, operations)
            for name, args in urls:  # as the pages of each namespace reverse them
                for namespace in {None, *(m.namespace for m in matches)}:
                    with contextlib.suppress(NoReverseMatch):
                        _remembered(name, args, namespace)
            for name in FORMATS:
                formats.get_format(name)
            warm_card_words()
            for node in translations:
                for autoescape in (True, False):
                    node.render(Context(autoescape=autoescape))
    for node in statics:
        try:
            node.url(Context())  # reads the static files' manifest once
        except ValueError as error:  # not collected yet: the page says so, as it did before
            log.warning("warm-up: %s", error)
            break
    for alias in connections:
        _memberships_reader(alias)

    # Nothing opened here may reach a forked worker.
    connections.close_all()
    for cache in caches.all(initialized_only=True):
        cache.close()
    seconds = time.perf_counter() - started
    return {
        "templates": len(templates),
        "urls": len(urls),
        "translations": len(translations),
        "static": len(statics),
        "seconds": seconds,
    }
