"""Gallery app URLs, one list per area so each can grow on its own."""

from __future__ import annotations

from gallery.browse.urls import urlpatterns as browse_urls
from gallery.generation.urls import urlpatterns as generation_urls

app_name = "gallery"

urlpatterns = [*generation_urls, *browse_urls]
