from __future__ import annotations

from django.urls import path

from . import views_browse as views

urlpatterns = [
    path("gallery/", views.browse, name="browse"),
]
