from django.urls import path

from . import calendar_views

app_name = "calendar"
urlpatterns = [
    path("", calendar_views.calendar_view, name="calendar_view"),
    path("feed/", calendar_views.feed_page, name="feed_page"),
    path("feed/reset/", calendar_views.feed_reset, name="feed_reset"),
    path("<str:token>.ics", calendar_views.feed_ics, name="feed_ics"),
]
