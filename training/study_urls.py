from django.urls import path

from . import study_views as views

app_name = "selfstudy"
urlpatterns = [
    path("notes/", views.note_list, name="note_list"),
    path("notes/new/", views.note_create, name="note_create"),
    path("notes/<int:note_id>/", views.note_detail, name="note_detail"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/submit/", views.note_submit_view, name="note_submit"),
    path("notes/<int:note_id>/review/", views.note_review_view, name="note_review"),
    path("review/", views.review_queue, name="review_queue"),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/new/", views.resource_create_view, name="resource_create"),
    path("resources/<int:resource_id>/", views.resource_detail, name="resource_detail"),
    path("assignments/", views.assignment_list, name="assignment_list"),
    path("assignments/new/", views.assignment_create_view, name="assignment_create"),
    path("assignments/<int:assignment_id>/", views.assignment_detail, name="assignment_detail"),
]
