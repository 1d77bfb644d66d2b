from django.urls import path

from . import progress_views

app_name = "progress"
urlpatterns = [
    path("me/", progress_views.my_progress, name="my_progress"),
    path("branches/<int:branch_id>/", progress_views.branch_progress_view, name="branch_progress"),
]
