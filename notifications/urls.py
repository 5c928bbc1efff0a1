from __future__ import annotations

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/read/", views.read_all, name="read_all"),
    path("notifications/<int:notification_id>/read/", views.read_one, name="read_one"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("team/webhooks/", views.webhooks, name="webhooks"),
    path("team/webhooks/<int:webhook_id>/", views.webhook, name="webhook"),
    path("team/webhooks/<int:webhook_id>/test/", views.webhook_test, name="webhook_test"),
    path("team/webhooks/<int:webhook_id>/delete/", views.webhook_delete, name="webhook_delete"),
]
