from __future__ import annotations

from django.urls import path

from . import media_views, views

urlpatterns = [
    path("gallery/", views.browse, name="browse"),
    path("gallery/<int:item_id>/", views.item_detail, name="item_detail"),
    path("gallery/<int:item_id>/favourite/", views.toggle_favourite, name="toggle_favourite"),
    path("gallery/<int:item_id>/delete/", views.delete_item, name="delete_item"),
    path("gallery/restore/", views.restore_items, name="restore_items"),
    path("gallery/trash/", views.trash, name="trash"),
    path("gallery/selection/", views.bulk, name="bulk"),
    path("gallery/download.zip", views.download_zip, name="download_zip"),
    path("gallery/compare/", views.compare, name="compare"),
    path("gallery/<int:item_id>/board/", views.add_to_board, name="add_to_board"),
    path("boards/", views.boards, name="boards"),
    path("boards/new/", views.create_board, name="create_board"),
    path("boards/<int:board_id>/delete/", views.delete_board, name="delete_board"),
    path("media/<int:item_id>/", media_views.media_file, name="media_file"),
    path("media/<int:item_id>/<str:variant>/", media_views.media_file, name="media_variant"),
]
