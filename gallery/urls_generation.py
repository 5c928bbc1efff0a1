from __future__ import annotations

from django.urls import path

from . import views_generation as views

urlpatterns = [
    path("create/image/", views.create_image, name="create_image"),
    path("create/midjourney/", views.create_mj, name="create_mj"),
    path("create/video/", views.create_video, name="create_video"),
    path("history/", views.history, name="history"),
]
