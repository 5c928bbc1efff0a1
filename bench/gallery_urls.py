"""URLconf for bench_gallery: the app's URLs plus the bare baseline view."""

from __future__ import annotations

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from gallery.browse.filters import gallery_queryset, page_of
from zcheap_site.urls import urlpatterns as app_urls

BARE = engines["django"].from_string(
    "<ul>{% for i in items %}<li><a href='/gallery/{{ i.pk }}/'><img src='/media/{{ i.pk }}/small/' "
    "alt='{{ i.prompt }}'></a></li>{% endfor %}</ul>"
)


def bare_view(request):
    """The baseline: same request stack, same query, same 60 rows, a minimal template."""
    items, _ = page_of(gallery_queryset(request.team, request.user), "")
    return HttpResponse(BARE.render({"items": items}, request))


urlpatterns = [path("bench-bare/", bare_view), *app_urls]
