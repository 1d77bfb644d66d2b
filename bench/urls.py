"""The application's URLs plus one trivial page, mounted only by config.settings.bench."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from members.models import Member


def one_query(request):
    """Answer with one indexed query after the session and user lookups: the floor for a page."""
    found = Member.objects.filter(user_id=request.user.pk).values_list("pk", flat=True).first()
    return HttpResponse(f"ok {found}", content_type="text/plain")


urlpatterns = [path("bench/one-query/", one_query, name="bench_one_query"), *app_urlpatterns]
