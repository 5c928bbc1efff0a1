from __future__ import annotations

from django.urls import path

from . import views

app_name = "presets"

urlpatterns = [
    path("presets/", views.preset_list, name="list"),
    path("presets/new/", views.preset_new, name="new"),
    path("presets/pick/", views.preset_pick, name="pick"),
    path("presets/<int:preset_id>/", views.preset_edit, name="edit"),
    path("presets/<int:preset_id>/delete/", views.preset_delete, name="delete"),
    path("presets/<int:preset_id>/pin/", views.preset_pin, name="pin"),
    path("presets/<int:preset_id>/use/", views.preset_use, name="use"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/check/", views.batch_check, name="batch_check"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("batches/<int:batch_id>/cancel/", views.batch_cancel, name="batch_cancel"),
    path("batches/<int:batch_id>/retry/", views.batch_retry, name="batch_retry"),
]
