"""The home page. Generation pages live in views_generation.py, the gallery in views_browse.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.permissions import team_view


@require_safe
@team_view()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/home.html")
