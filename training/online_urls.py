from django.urls import path

from . import online_views

app_name = "online"
urlpatterns = [
    path("", online_views.hours_import, name="hours_import"),
    path("confirm/", online_views.hours_import_confirm, name="hours_import_confirm"),
    path("records/", online_views.record_list, name="record_list"),
]
