"""URLconf for the page benchmarks: the app's URLs plus bare baselines.

A bare view runs the same request stack (middleware, session, team) and the same query for the
same rows as the page it is compared with, and renders those rows with a minimal template of
the same shape: a grid of tiles for gallery pages, a list of cards for history, one item for the
item page. What a page costs beyond its bare view is its own template, layout and extra queries.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from gallery.browse.filters import gallery_queryset, page_of
from gallery.browse.views import _item
from gallery.generation.views import _generations, history_page
from zcheap_site.urls import urlpatterns as app_urls

BARE = engines["django"].from_string(
    "<ul>{% for i in items %}<li><a href='/gallery/{{ i.pk }}/'><img src='/media/{{ i.pk }}/small/' "
    "alt='{{ i.prompt }}'></a></li>{% endfor %}</ul>"
)
BARE_CARDS = engines["django"].from_string(
    "{% for g in generations %}<article id='gen-{{ g.pk }}'><h3>{{ g.kind }} {{ g.state }}</h3>"
    "<p>{{ g.model }} · {{ g.user.email }} · {{ g.created_at|date:'c' }}</p><p>{{ g.prompt }}</p>"
    "{% for i in g.items.all %}<a href='/gallery/{{ i.pk }}/'><img src='/media/{{ i.pk }}/small/'>"
    "</a>{% endfor %}</article>{% endfor %}"
)
BARE_ITEM = engines["django"].from_string(
    "<article><img src='/media/{{ i.pk }}/' alt='{{ i.prompt }}'><h2>{{ i.kind }}</h2>"
    "<p>{{ i.prompt }}</p><p>{{ i.model }} · {{ i.user.email }} · {{ i.created_at|date:'c' }}</p>"
    "<p>{{ i.generation.params }}</p></article>"
)

BARE_ITEM_PAGE = engines["django"].from_string(
    "{% extends 'base.html' %}{% block content %}<article><img src='/media/{{ i.pk }}/' "
    "alt='{{ i.prompt }}'><h2>{{ i.kind }}</h2><p>{{ i.prompt }}</p><p>{{ i.model }} · "
    "{{ i.user.email }} · {{ i.created_at|date:'c' }}</p><p>{{ i.generation.params }}</p>"
    "</article>{% endblock %}"
)


def bare_view(request):
    """The gallery's baseline: the same grid query, the same 60 rows, a one-line template."""
    items, _ = page_of(gallery_queryset(request.team, request.user), "")
    return HttpResponse(BARE.render({"items": items}, request))


def bare_history(request):
    """History's baseline: the same page of cards (same query and prefetches), minimal cards."""
    generations = _generations(request)
    if request.GET.get("scope") != "team":
        generations = generations.filter(user=request.user)
    shown, _older = history_page(generations, request.GET.get("before", ""))
    return HttpResponse(BARE_CARDS.render({"generations": shown}, request))


def bare_item(request, item_id: int):
    """The item page's baseline: the same item row (and its task), a minimal template."""
    return HttpResponse(BARE_ITEM.render({"i": _item(request, item_id)}, request))


def bare_item_page(request, item_id: int):
    """The same, inside the site's layout (header, navigation, team and language switchers)."""
    return HttpResponse(BARE_ITEM_PAGE.render({"i": _item(request, item_id)}, request))


urlpatterns = [
    path("bench-bare/", bare_view),
    path("bench-bare/history/", bare_history),
    path("bench-bare/item/<int:item_id>/", bare_item),
    path("bench-bare/item-page/<int:item_id>/", bare_item_page),
    *app_urls,
]
