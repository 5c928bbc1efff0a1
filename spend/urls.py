from __future__ import annotations

from django.urls import path

from . import views

app_name = "spend"

urlpatterns = [
    path("spend/estimate/", views.estimate_hint, name="estimate"),
    path("spend/mj/<int:generation_id>/", views.mj_prices, name="mj_prices"),
    path("team/budgets/", views.budgets, name="budgets"),
    path("team/budgets/team/", views.update_team, name="update_team"),
    path("team/budgets/<int:membership_id>/", views.update_member, name="update_member"),
    path("team/budgets/<int:membership_id>/topup/", views.topup, name="topup"),
    path("team/budgets/refresh/", views.refresh, name="refresh"),
    path("usage/", views.usage, name="usage"),
    path("usage.csv", views.usage_csv, name="usage_csv"),
    path("usage/failed/", views.charged_failed, name="failed"),
]
