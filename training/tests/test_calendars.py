import datetime
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from members.models import Member
from members.tests.factories import MemberFactory
from training.models import Attendance, CalendarFeed, Lesson, LessonHost
from training.selectors.calendars import calendar_lessons, month_grid, week_grid
from training.services.lessons import calendar_feed_for
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db

CALENDAR = reverse("calendar:calendar_view")
MARCH = "2030-03-15"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"", re.I)


def shown(response) -> list[Lesson]:
    """Return the lessons a calendar page shows in its period."""
    return [lesson for day in response.context["page"].days if day.in_period for lesson in day.lessons]


def titles(response) -> set[str]:
    return {lesson.title for lesson in shown(response)}


@pytest.fixture
def lessons(branch_a, branch_b, venue_a):
    """One lesson of each kind that matters, all in March 2030."""
    return {
        "a": LessonFactory(title="A", organiser=branch_a, venue=venue_a, start=at(2030, 3, 5, 9)),
        "b": LessonFactory(title="B", organiser=branch_b, start=at(2030, 3, 6, 9)),
        "a_draft": LessonFactory(
            title="A draft", organiser=branch_a, status=Lesson.Status.DRAFT, start=at(2030, 3, 7, 9)
        ),
        "a_cancelled": LessonFactory(
            title="A cancelled", organiser=branch_a, status=Lesson.Status.CANCELLED, start=at(2030, 3, 8, 9)
        ),
    }


@pytest.fixture
def invitation(branch_a, branch_b):
    """A joint lesson of branch B to which branch A has not answered yet."""
    lesson = LessonFactory(title="B invites A", organiser=branch_b, start=at(2030, 3, 9, 9))
    LessonHost.objects.create(lesson=lesson, branch=branch_a, status=LessonHost.Status.INVITED)
    return lesson


def get_calendar(client, user, **params):
    client.force_login(user)
    return client.get(CALENDAR, {"date": MARCH, **params})


# --- scopes and permissions ------------------------------------------------


def test_member_sees_own_lessons_only(client, member, lessons, invitation):
    response = get_calendar(client, member)
    assert response.status_code == 200
    assert response.context["page"].scope == "mine"
    assert titles(response) == {"A", "A cancelled"}


def test_member_sees_a_joint_lesson_once_their_branch_accepts(client, member, branch_a, invitation):
    assert titles(get_calendar(client, member)) == set()
    LessonHost.objects.filter(lesson=invitation, branch=branch_a).update(status=LessonHost.Status.ACCEPTED)
    assert titles(get_calendar(client, member)) == {"B invites A"}


def test_member_sees_a_lesson_they_are_named_in(client, member, branch_b):
    lesson = LessonFactory(title="B with guest", organiser=branch_b, start=at(2030, 3, 10, 9))
    lesson.extra_audience.add(Member.objects.get(user=member))
    assert titles(get_calendar(client, member)) == {"B with guest"}


def test_outsider_gets_404_for_branch_a_calendar(client, outsider, branch_a, lessons):
    response = get_calendar(client, outsider, scope="branch", branch=branch_a.pk)
    assert response.status_code == 404


def test_unknown_or_malformed_branch_gets_404(client, member):
    assert get_calendar(client, member, scope="branch", branch=999999).status_code == 404
    assert get_calendar(client, member, scope="branch", branch="x").status_code == 404


def test_member_gets_403_for_bureau_calendar(client, member, lessons):
    assert get_calendar(client, member, scope="bureau").status_code == 403


def test_secretary_gets_403_for_bureau_calendar(client, secretary, lessons):
    assert get_calendar(client, secretary, scope="bureau").status_code == 403


def test_leader_sees_every_lesson_but_drafts(client, leader, lessons, invitation):
    response = get_calendar(client, leader)
    assert response.status_code == 200
    assert response.context["page"].scope == "bureau"
    assert titles(response) == {"A", "B", "A cancelled", "B invites A"}


@pytest.mark.parametrize("persona", ["leader", "admin"])
def test_leadership_may_open_any_branch_calendar(client, personas, branch_b, lessons, persona):
    response = get_calendar(client, personas[persona], scope="branch", branch=branch_b.pk)
    assert response.status_code == 200
    assert titles(response) == {"B"}


def test_plain_member_branch_calendar_hides_drafts_and_open_invitations(client, member, branch_a, lessons, invitation):
    response = get_calendar(client, member, scope="branch", branch=branch_a.pk)
    assert response.status_code == 200
    assert titles(response) == {"A", "A cancelled"}


def test_branch_scope_defaults_to_own_branch(client, member, branch_a, lessons):
    response = get_calendar(client, member, scope="branch")
    assert response.context["page"].branch == branch_a
    assert titles(response) == {"A", "A cancelled"}


def test_secretary_branch_calendar_shows_drafts_and_invitations(client, secretary, branch_a, lessons, invitation):
    response = get_calendar(client, secretary, scope="branch", branch=branch_a.pk)
    assert titles(response) == {"A", "A draft", "A cancelled", "B invites A"}
    pending = next(lesson for lesson in shown(response) if lesson.title == "B invites A")
    assert pending.host_status == LessonHost.Status.INVITED
    assert response.content.decode().count("badge text-bg-info") == 1


def test_secretary_never_sees_another_branch_draft_in_own_calendar(client, secretary, branch_a, branch_b):
    draft = LessonFactory(title="B draft", organiser=branch_b, status=Lesson.Status.DRAFT, start=at(2030, 3, 4))
    LessonHost.objects.create(lesson=draft, branch=branch_a, status=LessonHost.Status.INVITED)
    assert titles(get_calendar(client, secretary, scope="branch", branch=branch_a.pk)) == set()


def test_declined_joint_lesson_is_not_on_the_branch_calendar(client, secretary, branch_a, invitation):
    LessonHost.objects.filter(lesson=invitation, branch=branch_a).update(status=LessonHost.Status.DECLINED)
    assert titles(get_calendar(client, secretary, scope="branch", branch=branch_a.pk)) == set()


def test_user_without_member_record_gets_404_for_mine(client, leader):
    assert get_calendar(client, leader, scope="mine").status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(CALENDAR)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_calendar_lessons_runs_one_query(django_assert_num_queries, member, lessons):
    from members.permissions import roles_for

    roles = roles_for(member)
    with django_assert_num_queries(1):
        found = list(calendar_lessons(scope="mine", roles=roles, start=at(2030, 3, 1, 0), end=at(2030, 4, 1, 0)))
    assert {lesson.title for lesson in found} == {"A", "A cancelled"}
    with django_assert_num_queries(0):
        assert {lesson.place for lesson in found} == {"局机关党员活动室", ""}
        assert {lesson.organiser.name for lesson in found} == {"机关第一支部"}


# --- query counts ----------------------------------------------------------


def add_audience(branch, lessons, size):
    members = MemberFactory.create_batch(size, branch=branch)
    Attendance.objects.bulk_create(
        [Attendance(lesson=lesson, member=m) for lesson in lessons for m in members], ignore_conflicts=True
    )


def count_queries(client, url, params):
    client.get(url, params)  # the first request after login writes the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


SCOPE_CASES = [
    ("member", {"scope": "mine"}),
    ("member", {"scope": "mine", "view": "week", "date": "2030-03-05"}),
    ("secretary", {"scope": "branch"}),
    ("outsider", {"scope": "branch"}),
    ("leader", {"scope": "bureau"}),
    ("admin", {"scope": "bureau", "view": "week", "date": "2030-03-05"}),
]


@pytest.mark.parametrize(("persona", "params"), SCOPE_CASES)
def test_calendar_query_count_does_not_grow_with_the_audience(client, personas, branch_a, lessons, persona, params):
    params = {"date": MARCH, **params}
    client.force_login(personas[persona])
    held = [lessons["a"], lessons["a_cancelled"]]
    more = LessonFactory.create_batch(3, organiser=branch_a, start=at(2030, 3, 20, 14))
    add_audience(branch_a, held + more, 5)
    small = count_queries(client, CALENDAR, params)
    add_audience(branch_a, held + more, 195)
    LessonFactory.create_batch(10, organiser=branch_a, start=at(2030, 3, 21, 14))
    assert Attendance.objects.filter(lesson=lessons["a"]).count() == 200
    assert count_queries(client, CALENDAR, params) == small


@pytest.mark.parametrize(
    ("persona", "params", "budget"),
    [
        # session, user, roles (member, posts, leadership group and inbox
        # count in one query), organisations for the picker, lessons
        ("member", {"scope": "mine"}, 5),
        ("secretary", {"scope": "branch"}, 5),
        # no member record, so no posts; a superuser skips the group and
        # permission lookups
        ("admin", {"scope": "bureau"}, 5),
    ],
)
def test_calendar_query_budget(client, personas, branch_a, lessons, django_assert_num_queries, persona, params, budget):
    add_audience(branch_a, [lessons["a"]], 200)
    client.force_login(personas[persona])
    client.get(CALENDAR, {"date": MARCH, **params})  # warm the session
    with django_assert_num_queries(budget):
        response = client.get(CALENDAR, {"date": MARCH, **params})
    assert response.status_code == 200


# --- grids -----------------------------------------------------------------


def all_titles(page) -> list[str]:
    return [lesson.title for day in page.days for lesson in day.lessons]


def test_month_grid_puts_a_late_evening_lesson_on_its_local_day(client, member, branch_a):
    # March 2030 ends on a Sunday, so its grid stops on the 31st and April's
    # starts on Monday the 1st.
    LessonFactory(title="late", organiser=branch_a, start=at(2030, 3, 31, 23, 30), end=at(2030, 3, 31, 23, 59))
    march = get_calendar(client, member).context["page"]
    days = {day.date: day for day in march.days}
    assert [lesson.title for lesson in days[datetime.date(2030, 3, 31)].lessons] == ["late"]
    assert march.lesson_count == 1
    april = get_calendar(client, member, date="2030-04-10").context["page"]
    assert all_titles(april) == []


def test_month_grid_puts_an_early_morning_lesson_on_its_local_day(client, member, branch_a):
    # 00:30 in Shanghai is still the previous day in UTC.
    LessonFactory(title="early", organiser=branch_a, start=at(2030, 4, 1, 0, 30), end=at(2030, 4, 1, 2))
    april = get_calendar(client, member, date="2030-04-10").context["page"]
    days = {day.date: day for day in april.days}
    assert [lesson.title for lesson in days[datetime.date(2030, 4, 1)].lessons] == ["early"]
    march = get_calendar(client, member).context["page"]
    assert all_titles(march) == []


def test_month_grid_weeks_start_on_monday_and_cover_the_month():
    weeks = month_grid(datetime.date(2030, 3, 15), [], today=datetime.date(2030, 3, 15))
    assert all(len(week) == 7 for week in weeks)
    assert weeks[0][0].date == datetime.date(2030, 2, 25) and weeks[0][0].date.weekday() == 0
    assert weeks[-1][-1].date == datetime.date(2030, 3, 31) and len(weeks) == 5
    in_month = [day.date.day for week in weeks for day in week if day.in_period]
    assert in_month == list(range(1, 32))
    assert [day.date for week in weeks for day in week if day.is_today] == [datetime.date(2030, 3, 15)]


def test_week_grid_runs_monday_to_sunday(branch_a):
    lesson = LessonFactory(organiser=branch_a, start=at(2030, 3, 10, 23, 30), end=at(2030, 3, 10, 23, 50))
    days = week_grid(datetime.date(2030, 3, 7), [lesson], today=datetime.date(2030, 1, 1))
    assert [day.date for day in days][0] == datetime.date(2030, 3, 4)
    assert days[-1].date == datetime.date(2030, 3, 10) and days[-1].lessons == [lesson]


def test_week_view_lists_every_day_and_moves_by_seven_days(client, member, lessons):
    response = get_calendar(client, member, view="week", date="2030-03-06")
    page = response.context["page"]
    assert page.view == "week" and len(page.list_days) == 7
    assert page.previous == datetime.date(2030, 2, 27) and page.next == datetime.date(2030, 3, 13)
    assert titles(response) == {"A", "A cancelled"}
    assert "calendar-month" not in response.content.decode()


def test_month_page_collapses_to_a_list_on_phones_and_links_lessons(client, member, lessons):
    response = get_calendar(client, member)
    html = response.content.decode()
    page = response.context["page"]
    assert "d-none d-sm-table" in html and "d-sm-none" in html
    assert [day.date.day for day in page.list_days] == [5, 8]
    assert page.previous == datetime.date(2030, 2, 1) and page.next == datetime.date(2030, 4, 1)
    assert html.count(f'href="{lessons["a"].get_absolute_url()}"') == 2  # grid and phone list
    assert "date=2030-02-01" in html and "date=2030-04-01" in html


def test_malformed_parameters_fall_back_to_defaults(client, member):
    response = get_calendar(client, member, scope="everything", view="year", date="2030-13-45")
    page = response.context["page"]
    assert response.status_code == 200
    assert (page.scope, page.view, page.anchor) == ("mine", "month", timezone.localdate())


@pytest.mark.parametrize("persona", ["member", "secretary", "leader", "admin"])
def test_calendar_pages_have_no_inline_scripts_or_styles(client, personas, lessons, persona):
    client.force_login(personas[persona])
    urls = [f"{CALENDAR}?date={MARCH}", f"{CALENDAR}?date={MARCH}&view=week"]
    if persona in ("member", "secretary"):
        urls.append(reverse("calendar:feed_page"))
    for url in urls:
        html = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_STYLE.search(html), url


# --- iCalendar feed --------------------------------------------------------


@pytest.fixture
def feed(member):
    return calendar_feed_for(Member.objects.get(user=member))


def feed_url(feed):
    return reverse("calendar:feed_ics", args=[feed.token])


def fetch(client, feed) -> Calendar:
    response = client.get(feed_url(feed))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(cal) -> dict[str, object]:
    return {str(event["SUMMARY"]): event for event in cal.walk("VEVENT")}


@pytest.fixture
def upcoming(branch_a, venue_a):
    # iCalendar times have whole seconds.
    soon = (timezone.now() + datetime.timedelta(days=3)).replace(microsecond=0)
    return LessonFactory(
        title="upcoming",
        organiser=branch_a,
        venue=venue_a,
        topic="学习二十大精神",
        start=soon,
        end=soon + datetime.timedelta(hours=2),
    )


def test_feed_is_valid_icalendar_for_an_anonymous_client(client, feed, upcoming):
    cal = fetch(client, feed)  # the client has not logged in
    cal.validate()
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).startswith("-//")
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert "张三" in str(cal["X-WR-CALNAME"])
    event = events(cal)["upcoming"]
    assert str(event["UID"]) == f"{upcoming.uid}@party-training"
    assert event.decoded("DTSTART") == upcoming.start
    assert event.decoded("DTEND") == upcoming.end
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
    assert "DTSTAMP" in event and "LAST-MODIFIED" in event
    assert str(event["LOCATION"]) == upcoming.place == "局机关党员活动室"
    assert "学习二十大精神" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://testserver{upcoming.get_absolute_url()}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0


def test_feed_keeps_uid_and_bumps_sequence_when_a_lesson_changes(client, feed, upcoming):
    first = events(fetch(client, feed))["upcoming"]
    second = events(fetch(client, feed))["upcoming"]
    assert str(first["UID"]) == str(second["UID"])
    Lesson.objects.filter(pk=upcoming.pk).update(
        sequence=F("sequence") + 1,
        start=upcoming.start + datetime.timedelta(hours=1),
        end=upcoming.end + datetime.timedelta(hours=1),
    )
    changed = events(fetch(client, feed))["upcoming"]
    assert str(changed["UID"]) == str(first["UID"])
    assert int(changed["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert changed.decoded("DTSTART") == upcoming.start + datetime.timedelta(hours=1)


def test_feed_sends_a_cancelled_lesson_as_cancelled(client, feed, upcoming):
    Lesson.objects.filter(pk=upcoming.pk).update(status=Lesson.Status.CANCELLED, sequence=F("sequence") + 1)
    (event,) = fetch(client, feed).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"{upcoming.uid}@party-training"
    assert int(event["SEQUENCE"]) == 1


def test_feed_uses_the_outside_place_as_location(client, feed, branch_a):
    LessonFactory(title="visit", organiser=branch_a, outside_place="县革命烈士纪念馆, 南门")
    assert str(events(fetch(client, feed))["visit"]["LOCATION"]) == "县革命烈士纪念馆, 南门"


def test_feed_never_holds_drafts_or_other_branches_lessons(client, feed, branch_a, branch_b):
    LessonFactory(title="draft", organiser=branch_a, status=Lesson.Status.DRAFT)
    LessonFactory(title="theirs", organiser=branch_b)
    LessonFactory(title="held", organiser=branch_a, status=Lesson.Status.HELD)
    assert set(events(fetch(client, feed))) == {"held"}


def test_feed_holds_ninety_days_of_history_and_every_future_lesson(client, feed, branch_a):
    now = timezone.now()
    LessonFactory(title="old", organiser=branch_a, status=Lesson.Status.HELD, start=now - datetime.timedelta(days=91))
    LessonFactory(
        title="recent", organiser=branch_a, status=Lesson.Status.HELD, start=now - datetime.timedelta(days=89)
    )
    LessonFactory(title="far", organiser=branch_a, start=now + datetime.timedelta(days=700))
    assert set(events(fetch(client, feed))) == {"recent", "far"}


def test_unknown_token_gets_404(client, feed):
    assert client.get(reverse("calendar:feed_ics", args=["not-a-token"])).status_code == 404


def test_resetting_the_token_revokes_the_old_link(client, member, feed):
    old_url = feed_url(feed)
    client.force_login(member)
    response = client.post(reverse("calendar:feed_reset"))
    assert response.status_code == 302 and response["Location"] == reverse("calendar:feed_page")
    new_feed = CalendarFeed.objects.get(pk=feed.pk)
    assert new_feed.token != feed.token
    client.logout()
    assert client.get(old_url).status_code == 404
    assert client.get(feed_url(new_feed)).status_code == 200


def test_reset_is_post_only(client, member, feed):
    client.force_login(member)
    assert client.get(reverse("calendar:feed_reset")).status_code == 405
    assert CalendarFeed.objects.get(pk=feed.pk).token == feed.token


def test_feed_page_shows_the_private_link(client, member):
    client.force_login(member)
    response = client.get(reverse("calendar:feed_page"))
    assert response.status_code == 200
    token = CalendarFeed.objects.get(member__user=member).token
    html = response.content.decode()
    assert f"http://testserver/calendar/{token}.ics" in html
    assert f"webcal://testserver/calendar/{token}.ics" in html


@pytest.mark.parametrize("persona", ["leader", "admin"])
def test_feed_page_is_404_without_a_member_record(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("calendar:feed_page")).status_code == 404
    assert client.post(reverse("calendar:feed_reset")).status_code == 404


def test_feed_query_count_does_not_grow_with_the_audience(client, feed, branch_a, django_assert_num_queries):
    held = LessonFactory.create_batch(3, organiser=branch_a)
    add_audience(branch_a, held, 5)
    # the feed, the lessons
    with django_assert_num_queries(2):
        assert client.get(feed_url(feed)).status_code == 200
    add_audience(branch_a, held, 195)
    LessonFactory.create_batch(10, organiser=branch_a)
    with django_assert_num_queries(2):
        response = client.get(feed_url(feed))
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 13
