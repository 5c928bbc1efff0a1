"""The home page. Generation pages live in views_generation.py, the gallery in views_browse.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.permissions import team_view
from gallery.browse import gallery_queryset
from gallery.models import ACTIVE_STATES, Generation
from zcheap_site.compression import compress_html


@compress_html
@require_safe
@team_view()
def home(request: HttpRequest) -> HttpResponse:
    """Where to start, what is still running, and the team's latest results."""
    running = Generation.objects.filter(
        team=request.team, user=request.user, state__in=sorted(ACTIVE_STATES)
    ).count()
    latest = list(gallery_queryset(request.team, request.user)[:12])
    return render(request, "gallery/home.html", {"running": running, "latest": latest})
