"""The provider's asset library, mirrored per team."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.permissions import team_view


@require_safe
@team_view()
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/coming_soon.html", {"title_key": "assets"})
