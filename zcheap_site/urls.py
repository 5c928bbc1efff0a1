from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from accounts.views import set_language
from gallery import views as gallery_views
from gallery.generation import public_media

from .health import healthz

urlpatterns = [
    path("", gallery_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("p/<str:token>/", public_media, name="public_media"),
    # The same link ending in the file's name, so Zcheap sees .png/.jpg (contract §0).
    path("p/<str:token>/<str:filename>", public_media, name="public_media_named"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("team/audit/", include("audit.urls")),
    path("", include("accounts.urls")),
    path("", include("gallery.urls")),
    path("assets/", include("assets.urls")),
    path("", include("sharing.urls")),
    path("", include("sharing.public_urls")),
    path("", include("notifications.urls")),
    path("", include("presets.urls")),
    path("", include("operations.urls")),
    path("", include("spend.urls")),
]
