"""Reviewers' pages (no login; the token is the secret). Root-level names, outside the team
namespace, so the cross-team walk treats them as public and tests them on their own."""

from __future__ import annotations

from django.urls import path

from . import public_views

urlpatterns = [
    path("r/<str:token>/", public_views.review_page, name="review_page"),
    path("r/<str:token>/unlock/", public_views.review_unlock, name="review_unlock"),
    path(
        "r/<str:token>/items/<int:item_id>/verdict/",
        public_views.review_verdict,
        name="review_verdict",
    ),
    path("r/<str:token>/m/<str:signed>/", public_views.review_media, name="review_media"),
]
