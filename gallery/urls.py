"""Gallery app URLs: each wing keeps its own list, all under the "gallery" namespace."""

from __future__ import annotations

from django.urls import include, path

app_name = "gallery"

urlpatterns = [
    path("", include("gallery.generation.urls")),
    path("", include("gallery.browse.urls")),
]
