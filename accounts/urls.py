from __future__ import annotations

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("team/", views.team_settings, name="team_settings"),
    path("team/switch/", views.switch_team, name="switch_team"),
    path("team/new/", views.create_team, name="create_team"),
    path("team/rename/", views.rename_team, name="rename_team"),
    path("team/api/", views.update_api_settings, name="update_api_settings"),
    path("team/api/test/", views.test_connection, name="test_connection"),
    path("team/invitations/", views.create_invitation, name="create_invitation"),
    path(
        "team/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("team/members/", views.create_member, name="create_member"),
    path("team/members/<int:membership_id>/role/", views.change_role, name="change_role"),
    path("team/members/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
