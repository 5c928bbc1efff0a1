from __future__ import annotations

from django.urls import path

from . import views

app_name = "sharing"

urlpatterns = [
    path("share/", views.links, name="links"),
    path("share/new/", views.create_link, name="create_link"),
    path("share/<int:link_id>/", views.link_detail, name="link_detail"),
    path("share/<int:link_id>/revoke/", views.revoke_link, name="revoke_link"),
]
