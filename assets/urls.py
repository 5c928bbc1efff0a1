from __future__ import annotations

from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("", views.index, name="index"),
    path("groups/new/", views.create_group, name="create_group"),
    path("sync/", views.sync_now, name="sync"),
    path("groups/<int:group_id>/", views.group, name="group"),
    path("groups/<int:group_id>/edit/", views.update_group, name="update_group"),
    path("groups/<int:group_id>/upload/", views.upload, name="upload"),
    path("groups/<int:group_id>/rows/", views.rows, name="rows"),
    path("items/<int:asset_id>/rename/", views.rename_asset, name="rename_asset"),
    path("items/<int:asset_id>/delete/", views.delete_asset, name="delete_asset"),
]
