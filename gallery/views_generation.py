"""Create forms (image, Midjourney, video), task cards and history."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.permissions import team_view


@require_safe
@team_view()
def create_image(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/coming_soon.html")


@require_safe
@team_view()
def create_mj(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/coming_soon.html")


@require_safe
@team_view()
def create_video(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/coming_soon.html")


@require_safe
@team_view()
def history(request: HttpRequest) -> HttpResponse:
    return render(request, "gallery/coming_soon.html")
