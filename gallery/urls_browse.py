from __future__ import annotations

from django.urls import path

from . import media_views
from . import views_browse as views

urlpatterns = [
    path("gallery/", views.browse, name="browse"),
    path("media/<int:item_id>/", media_views.media_file, name="media_file"),
    path("media/<int:item_id>/<str:variant>/", media_views.media_file, name="media_variant"),
]
