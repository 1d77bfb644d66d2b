from django.urls import path

from . import inbox_views as views

app_name = "inbox"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.inbox_mark_read, name="mark_read"),
    path("<int:notification_id>/open/", views.notification_open_view, name="open"),
    path("preferences/", views.notification_preferences, name="preferences"),
]
