"""A member's private iCalendar feed (RFC 5545), built with the icalendar library.

Times are written in UTC, which needs no VTIMEZONE; X-WR-TIMEZONE tells
clients to show them in Asia/Shanghai.
"""

import datetime
from collections.abc import Callable

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from members.models import Member
from training.models import Lesson

PRODID = "-//Party training//Lesson calendar 1.0//ZH"
TIME_ZONE = "Asia/Shanghai"
# Past lessons stay in the feed for a while, so a member can look back.
HISTORY = datetime.timedelta(days=90)
REFRESH = datetime.timedelta(hours=1)


def feed_lessons(member: Member, *, now: datetime.datetime) -> QuerySet[Lesson]:
    """Return the member's lessons from 90 days ago onward; drafts never, cancelled ones too."""
    return (
        Lesson.objects.for_member(member)
        .exclude(status=Lesson.Status.DRAFT)
        .filter(start__gte=now - HISTORY)
        .select_related("venue", "organiser", "lecturer_member", "lecturer_outside")
        .order_by("start", "pk")
    )


def lesson_uid(lesson: Lesson) -> str:
    """Return the lesson's UID, which never changes over its life."""
    return f"{lesson.uid}@party-training"


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def _description(lesson: Lesson) -> str:
    lines = []
    if lesson.topic:
        lines.append(_("Topic: %(topic)s") % {"topic": lesson.topic})
    if lesson.lecturer_name:
        lines.append(_("Lecturer: %(name)s") % {"name": lesson.lecturer_name})
    lines.append(_("Organised by: %(branch)s") % {"branch": lesson.organiser.name})
    return "\n".join(lines)


def lesson_event(lesson: Lesson, *, url: str, stamp: datetime.datetime) -> Event:
    """Return the VEVENT of one lesson."""
    cancelled = lesson.status == Lesson.Status.CANCELLED
    event = Event()
    event.add("uid", lesson_uid(lesson))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(lesson.start))
    event.add("dtend", _utc(lesson.end))
    # Some clients ignore STATUS in subscribed calendars; say it in the title too.
    summary = _("Cancelled: %(title)s") % {"title": lesson.title} if cancelled else lesson.title
    event.add("summary", summary)
    event.add("description", _description(lesson))
    if lesson.place:
        event.add("location", lesson.place)
    event.add("sequence", lesson.sequence)
    event.add("last-modified", _utc(lesson.updated_at))
    event.add("created", _utc(lesson.created_at))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("categories", [str(lesson.get_kind_display())])
    event.add("url", url)
    return event


def member_calendar(
    *,
    member: Member,
    lessons: list[Lesson],
    lesson_url: Callable[[Lesson], str],
    now: datetime.datetime,
) -> Calendar:
    """Return the VCALENDAR holding one VEVENT per lesson."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Party training: %(name)s") % {"name": member.full_name})
    cal.add("x-wr-timezone", TIME_ZONE)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for lesson in lessons:
        cal.add_component(lesson_event(lesson, url=lesson_url(lesson), stamp=now))
    return cal


def member_feed_ics(*, member: Member, request, now: datetime.datetime | None = None) -> bytes:
    """Return the member's feed as iCalendar bytes; lesson links are absolute, built from *request*."""
    now = now or timezone.now()
    lessons = list(feed_lessons(member, now=now))
    cal = member_calendar(
        member=member,
        lessons=lessons,
        now=now,
        lesson_url=lambda lesson: request.build_absolute_uri(lesson.get_absolute_url()),
    )
    return cal.to_ical()
