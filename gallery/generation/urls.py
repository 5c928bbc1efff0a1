from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("create/image/", views.create_image, name="create_image"),
    path("create/midjourney/", views.create_mj, name="create_mj"),
    path("create/video/", views.create_video, name="create_video"),
    path("history/", views.history, name="history"),
    path("create/picker/", views.reference_picker, name="reference_picker"),
    path("tasks/poll/", views.cards_poll, name="cards_poll"),
    path("tasks/<int:generation_id>/", views.card, name="card"),
    path("tasks/<int:generation_id>/again/", views.again, name="again"),
    path("tasks/<int:generation_id>/cancel/", views.cancel, name="cancel"),
    path("tasks/<int:generation_id>/mj/", views.mj_action, name="mj_action"),
    path("tasks/<int:generation_id>/mj/region/<int:index>/", views.mj_inpaint, name="mj_inpaint"),
]
