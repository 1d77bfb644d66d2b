"""Lesson calendars (month and week) and each member's private iCalendar feed."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from members.permissions import roles_for
from training.models import CalendarFeed
from training.selectors.calendars import MONTH, SCOPES, VIEWS, calendar_page, default_scope
from training.selectors.ical import member_feed_ics
from training.services.lessons import calendar_feed_for, calendar_feed_reset

# Dates outside these years are typos; they would also overflow date arithmetic.
_YEARS = range(1950, 2200)


def _anchor(value: str, today: datetime.date) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return today
    return day if day.year in _YEARS else today


def _branch_id(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise Http404 from None


def _own_member(request):
    member = roles_for(request.user).member
    if member is None:
        raise Http404
    return member


@require_GET
def calendar_view(request):
    roles = roles_for(request.user)
    today = timezone.localdate()
    scope = request.GET.get("scope", "")
    view = request.GET.get("view", "")
    page = calendar_page(
        roles=roles,
        scope=scope if scope in SCOPES else default_scope(roles),
        view=view if view in VIEWS else MONTH,
        anchor=_anchor(request.GET.get("date", ""), today),
        today=today,
        branch_id=_branch_id(request.GET.get("branch", "")),
    )
    return render(request, "training/calendar.html", {"page": page})


@require_GET
def feed_page(request):
    member = _own_member(request)
    feed = calendar_feed_for(member)
    feed_url = request.build_absolute_uri(reverse("calendar:feed_ics", args=[feed.token]))
    webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    return render(request, "training/calendar_feed.html", {"feed_url": feed_url, "webcal_url": webcal_url})


@require_POST
def feed_reset(request):
    member = _own_member(request)
    calendar_feed_reset(member=member)
    messages.success(request, _("Your calendar link has been reset. Subscribe again with the new link."))
    return redirect("calendar:feed_page")


@login_not_required
@require_GET
def feed_ics(request, token):
    feed = get_object_or_404(CalendarFeed.objects.select_related("member"), token=token)
    body = member_feed_ics(member=feed.member, request=request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lessons.ics"'
    # The link is a secret: no shared cache may keep it, no search engine index it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
