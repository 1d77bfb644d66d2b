"""Study-hour progress: exact figures for a known data set, flat query counts, and who sees which page."""

import datetime
import itertools
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Member
from members.tests.factories import PASSWORD, MemberFactory, PostFactory
from training.models import Assignment, AssignmentTarget, Lesson, OnlineStudyRecord, StudyNote
from training.rules import study_requirement_for
from training.selectors.progress import (
    MonthHours,
    NoteCounts,
    branch_progress,
    branch_progress_summary,
    member_progress,
)
from training.services.figures import figures_recompute_year
from training.tests.conftest import member_of
from training.tests.factories import AttendanceFactory, LessonFactory, at

pytestmark = pytest.mark.django_db


def counted(today=None):
    """The records of these tests are written past the services: count them into the ledger, as a refresh would."""
    for year in (2024, 2025, 2026):
        figures_recompute_year(year, today=today or TODAY)


YEAR = 2025
TODAY = datetime.date(2025, 6, 15)
D = Decimal
_note_numbers = itertools.count()


# --- building data ---------------------------------------------------------


def attend(member, start, *, hours="2", status="present", lesson_status=Lesson.Status.HELD, organiser=None):
    lesson = LessonFactory(
        organiser=organiser or member.branch,
        start=start,
        end=start + datetime.timedelta(hours=1),
        credit_hours=D(hours),
        status=lesson_status,
    )
    return AttendanceFactory(lesson=lesson, member=member, status=status)


def note(member, day, hours, status="passed"):
    return StudyNote.objects.create(
        member=member,
        title=f"学习笔记{next(_note_numbers)}",
        body="学习心得",
        study_date=day,
        hours=D(hours),
        status=status,
        grade="pass" if status == "passed" else "",
    )


def online(member, day, hours):
    return OnlineStudyRecord.objects.create(
        member=member, study_date=day, course=f"网络课程{next(_note_numbers)}", hours=D(hours)
    )


def assign(member, due_on, status="open"):
    assignment = Assignment.objects.create(title=f"自学任务{due_on}", due_on=due_on)
    return AssignmentTarget.objects.create(assignment=assignment, member=member, status=status)


def known_data_set(member: Member):
    """The data behind the figures checked below, written out once."""
    d = datetime.date
    # Centralised: held lessons attended present or late count.
    attend(member, at(2025, 3, 10, 9, 0), hours="2", status="present")  # March 2
    attend(member, at(2025, 3, 20, 14, 0), hours="1.5", status="late")  # March 1.5
    attend(member, at(2025, 4, 1), hours="3", status="leave")
    attend(member, at(2025, 4, 2), hours="4", status="absent")
    attend(member, at(2025, 4, 3), hours="4", status="unmarked")
    attend(member, at(2025, 5, 1), hours="2", lesson_status=Lesson.Status.PUBLISHED)
    attend(member, at(2025, 5, 2), hours="2", lesson_status=Lesson.Status.CANCELLED)
    attend(member, at(2025, 5, 3), hours="2", lesson_status=Lesson.Status.DRAFT)
    attend(member, at(2025, 12, 31, 23, 30), hours="2.5")  # December 2.5 (15:30 UTC)
    attend(member, at(2026, 1, 1, 0, 30), hours="1")  # 2026 locally, 2025 in UTC
    attend(member, at(2024, 12, 31, 23, 30), hours="5")  # 2024
    # Self-study: passed notes count, by study date.
    note(member, d(2025, 2, 14), "3")  # February 3
    note(member, d(2025, 6, 1), "1.5")  # June 1.5
    note(member, d(2025, 6, 2), "2", status="submitted")
    note(member, d(2025, 6, 3), "2", status="returned")
    note(member, d(2025, 7, 1), "1", status="draft")
    note(member, d(2024, 12, 31), "4")
    note(member, d(2026, 1, 1), "4")
    # Online.
    online(member, d(2025, 1, 5), "2.5")  # January 2.5
    online(member, d(2025, 12, 31), "1")  # December 1
    online(member, d(2024, 12, 31), "9")
    # Assignments, seen on 15 June.
    assign(member, d(2025, 6, 15))  # due today: not overdue
    assign(member, d(2025, 7, 1))  # due
    assign(member, d(2025, 6, 14))  # overdue
    assign(member, d(2025, 5, 1), status="done")


def expected_months(**by_month):
    """Return the 12 months, zero except those given as m<month>=(centralised, self_study, online)."""
    months = []
    for month in range(1, 13):
        c, s, o = by_month.get(f"m{month}", ("0", "0", "0"))
        months.append(MonthHours(month, D(c), D(s), D(o)))
    return tuple(months)


# --- member_progress -------------------------------------------------------


def test_member_progress_counts_the_known_data_set_exactly(member):
    person = member_of(member)
    known_data_set(person)

    counted()
    progress = member_progress(person, YEAR, today=TODAY)

    assert progress.centralised == D("6")  # 2 + 1.5 + 2.5
    assert progress.self_study == D("4.5")  # 3 + 1.5
    assert progress.online == D("3.5")  # 2.5 + 1
    assert progress.total == D("14")
    assert (progress.role, progress.requirement) == ("member", D("32"))
    assert progress.behind is True
    assert progress.remaining == D("18")
    assert progress.progress_percent == D("43.7")  # 14 / 32 = 43.75 %, rounded down
    assert progress.progress_bar == 43
    assert progress.notes == NoteCounts(draft=1, submitted=1, returned=1, passed=2)
    assert (progress.assignments.due, progress.assignments.overdue, progress.assignments.done) == (2, 1, 1)
    assert progress.months == expected_months(
        m1=("0", "0", "2.5"),
        m2=("0", "3", "0"),
        m3=("3.5", "0", "0"),
        m6=("0", "1.5", "0"),
        m12=("2.5", "0", "1"),
    )


def test_lesson_late_on_new_years_eve_counts_in_that_year_and_not_the_next(member):
    person = member_of(member)
    attend(person, at(2025, 12, 31, 23, 30), hours="2.5")
    attend(person, at(2026, 1, 1, 0, 30), hours="1")

    counted()
    assert member_progress(person, 2025, today=TODAY).centralised == D("2.5")
    next_year = member_progress(person, 2026, today=TODAY)
    assert next_year.centralised == D("1")
    assert next_year.months[0].centralised == D("1")


def test_other_members_and_other_years_add_nothing(member, secretary):
    known_data_set(member_of(secretary))
    person = member_of(member)

    counted()
    progress = member_progress(person, YEAR, today=TODAY)

    assert progress.total == D("0")
    assert progress.notes == NoteCounts()
    assert progress.assignments.open == 0
    assert member_progress(member_of(secretary), 2024, today=TODAY).total == D("18")  # 5 + 4 + 9


def test_committee_member_needs_56_hours_and_plain_member_32(member, secretary):
    counted()
    assert member_progress(member_of(secretary), YEAR, today=TODAY).requirement == D("56")
    assert member_progress(member_of(secretary), YEAR, today=TODAY).role == "committee"
    assert member_progress(member_of(member), YEAR, today=TODAY).requirement == D("32")


def test_requirement_follows_posts_held_on_the_years_reference_day(branch_a):
    former = MemberFactory(branch=branch_a, full_name="王五")
    PostFactory(member=former, kind="organising", start_on=datetime.date(2024, 1, 1), end_on=datetime.date(2025, 3, 1))
    future = MemberFactory(branch=branch_a, full_name="赵六")
    PostFactory(member=future, kind="publicity", start_on=datetime.date(2025, 7, 1), end_on=datetime.date(2026, 1, 31))
    cell_leader = MemberFactory(branch=branch_a, full_name="陈晓明")
    PostFactory(member=cell_leader, kind="group_leader")

    counted()  # 2025 still runs on TODAY (15 June): today's posts count
    assert member_progress(former, YEAR, today=TODAY).requirement == D("32")
    assert member_progress(future, YEAR, today=TODAY).requirement == D("32")
    assert member_progress(cell_leader, YEAR, today=TODAY).requirement == D("32")
    counted(today=datetime.date(2025, 2, 1))
    assert member_progress(former, YEAR, today=datetime.date(2025, 2, 1)).requirement == D("56")

    # Once 2025 is over its last day counts, whatever posts are held when the page is read.
    later = datetime.date(2026, 6, 1)
    counted(today=later)
    assert member_progress(former, YEAR, today=later).requirement == D("32")
    assert member_progress(future, YEAR, today=later).requirement == D("56")
    assert member_progress(future, 2026, today=later).requirement == D("32")


def test_requirement_comes_from_the_years_study_requirement(member):
    requirement = study_requirement_for(YEAR)
    requirement.member_hours = D("40")
    requirement.save()
    person = member_of(member)
    online(person, datetime.date(2025, 3, 1), "40")

    counted()
    progress = member_progress(person, YEAR, today=TODAY)

    assert progress.requirement == D("40")
    assert progress.behind is False
    assert progress.progress_percent == D("100")
    assert member_progress(person, 2026, today=TODAY).requirement == D("32")


def test_member_meeting_the_requirement_exactly_is_not_behind(member):
    person = member_of(member)
    online(person, datetime.date(2025, 3, 1), "31.9")
    counted()
    assert member_progress(person, YEAR, today=TODAY).behind is True
    assert member_progress(person, YEAR, today=TODAY).progress_percent == D("99.6")
    online(person, datetime.date(2025, 3, 2), "0.1")
    counted()
    assert member_progress(person, YEAR, today=TODAY).behind is False


@time_machine.travel(datetime.datetime(2025, 6, 14, 16, 30, tzinfo=datetime.UTC), tick=False)
def test_overdue_uses_todays_date_in_shanghai_by_default(member):
    # 16:30 UTC on 14 June is 00:30 on 15 June in Shanghai.
    person = member_of(member)
    assign(person, datetime.date(2025, 6, 15))
    assign(person, datetime.date(2025, 6, 14))

    progress = member_progress(person, YEAR)

    assert progress.today == datetime.date(2025, 6, 15)
    assert (progress.assignments.due, progress.assignments.overdue) == (1, 1)


def test_member_progress_runs_a_fixed_number_of_queries(member, django_assert_num_queries):
    person = member_of(member)
    known_data_set(person)
    study_requirement_for(YEAR)
    counted()
    with django_assert_num_queries(2):
        member_progress(person, YEAR, today=TODAY)


# --- branch_progress -------------------------------------------------------


def branch_a_people(branch_a, member, secretary):
    """Four active members of branch A with different figures, plus people who must not appear."""
    plain, sec = member_of(member), member_of(secretary)
    known_data_set(plain)
    attend(sec, at(2025, 9, 1), hours="8")
    note(sec, datetime.date(2025, 9, 2), "4")
    assign(sec, datetime.date(2025, 1, 1))
    busy = MemberFactory(branch=branch_a, full_name="刘芳", status=Member.Status.PROBATIONARY)
    online(busy, datetime.date(2025, 11, 11), "33")
    idle = MemberFactory(branch=branch_a, full_name="杨洋")
    MemberFactory(branch=branch_a, full_name="黄磊", status=Member.Status.TRANSFERRED_OUT)
    return [plain, sec, busy, idle]


def test_branch_progress_matches_member_progress_for_each_member(branch_a, member, secretary, outsider):
    people = branch_a_people(branch_a, member, secretary)
    known_data_set(member_of(outsider))

    counted()
    rows = branch_progress(branch_a, YEAR, today=TODAY)

    assert {row.member.pk for row in rows} == {p.pk for p in people}
    for row in rows:
        assert row == member_progress(row.member, YEAR, today=TODAY)
    by_name = {row.member.full_name: row for row in rows}
    assert by_name["张三"].total == D("14")
    assert (by_name["书记甲"].total, by_name["书记甲"].requirement) == (D("12"), D("56"))
    assert by_name["书记甲"].assignments.overdue == 1
    assert (by_name["刘芳"].total, by_name["刘芳"].behind) == (D("33"), False)
    assert (by_name["杨洋"].total, by_name["杨洋"].behind) == (D("0"), True)


def test_branch_progress_orders(branch_a, member, secretary):
    branch_a_people(branch_a, member, secretary)

    counted()

    def names(order):
        return [row.member.full_name for row in branch_progress(branch_a, YEAR, today=TODAY, order=order)]

    # Name order is pinyin: liu, shu, yang, zhang.
    assert names("name") == ["刘芳", "书记甲", "杨洋", "张三"]
    assert names("-name") == ["张三", "杨洋", "书记甲", "刘芳"]
    assert names("-total") == ["刘芳", "张三", "书记甲", "杨洋"]  # 33, 14, 12, 0
    assert names("centralised") == ["刘芳", "杨洋", "张三", "书记甲"]  # 0, 0, 6, 8
    assert names("-self_study") == ["张三", "书记甲", "刘芳", "杨洋"]  # 4.5, 4, 0, 0
    assert names("-online") == ["刘芳", "张三", "书记甲", "杨洋"]  # 33, 3.5, 0, 0
    # 0/32, 12/56 = 21.4 %, 14/32 = 43.75 %, 33/32
    assert names("progress") == ["杨洋", "书记甲", "张三", "刘芳"]
    with pytest.raises(ValueError, match="Unknown order"):
        branch_progress(branch_a, YEAR, today=TODAY, order="grade")


def test_branch_progress_summary_counts_behind_members(branch_a, member, secretary):
    branch_a_people(branch_a, member, secretary)
    counted()
    summary = branch_progress_summary(branch_progress(branch_a, YEAR, today=TODAY))
    assert (summary.members, summary.behind, summary.met) == (4, 3, 1)


def many_members(branch, n):
    for member in MemberFactory.create_batch(n, branch=branch):
        for day in (3, 9, 17):
            note(member, datetime.date(2025, day % 12 + 1, day), "1")
            note(member, datetime.date(2025, day % 12 + 1, day + 1), "1", status="submitted")
        online(member, datetime.date(2025, 5, 5), "2")
        assign(member, datetime.date(2025, 5, 1))
    lesson = LessonFactory(organiser=branch, start=at(2025, 4, 1), end=at(2025, 4, 1, 11), status="held")
    for member in Member.objects.in_branch(branch):
        AttendanceFactory(lesson=lesson, member=member, status="present")


def count_queries(func):
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    return len(ctx.captured_queries), result


def test_branch_progress_query_count_is_the_same_for_5_and_50_members(branch_a, django_assert_num_queries):
    study_requirement_for(YEAR)
    PostFactory(member=MemberFactory(branch=branch_a), branch=branch_a)
    many_members(branch_a, 4)
    counted()
    small, rows = count_queries(lambda: branch_progress(branch_a, YEAR, today=TODAY))
    assert len(rows) == 5

    many_members(branch_a, 45)
    counted()
    large, rows = count_queries(lambda: branch_progress(branch_a, YEAR, today=TODAY, order="-total"))
    assert len(rows) == 50
    assert large == small
    with django_assert_num_queries(2):
        branch_progress(branch_a, YEAR, today=TODAY, order="progress")
    assert sorted({row.self_study for row in rows}) == [D("0"), D("3")]


# --- views -----------------------------------------------------------------


def branch_url(branch, **query):
    url = reverse("progress:branch_progress", args=[branch.pk])
    return f"{url}?{urlencode(query)}" if query else url


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("outsider", 404), ("secretary", 200), ("leader", 200), ("admin", 200)],
)
def test_branch_progress_access(client, personas, branch_a, persona, status):
    client.force_login(personas[persona])
    assert client.get(branch_url(branch_a)).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 200), ("secretary", 200), ("outsider", 200), ("leader", 404), ("admin", 404)],
)
def test_my_progress_access(client, personas, persona, status):
    client.force_login(personas[persona])
    assert client.get(reverse("progress:my_progress")).status_code == status


@pytest.mark.parametrize("name", ["progress:my_progress", "progress:branch_progress"])
def test_anonymous_is_sent_to_login(client, branch_a, name):
    url = reverse(name) if name == "progress:my_progress" else branch_url(branch_a)
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_my_progress_page_shows_the_figures_with_chart_data_and_no_inline_code(client, member):
    person = member_of(member)
    known_data_set(person)
    client.force_login(member)

    counted()
    response = client.get(reverse("progress:my_progress"), {"year": "2025"})

    assert response.status_code == 200
    progress = response.context["progress"]
    assert (progress.year, progress.total) == (2025, D("14"))
    html = response.content.decode()
    chart_id = f"progress-chart-{person.pk}-2025"
    assert f'data-chart-source="{chart_id}"' in html
    assert f'<script id="{chart_id}" type="application/json">' in html
    assert '"data": [0.0, 0.0, 3.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.5]' in html
    assert "progress-w-43" in html and "<details" in html
    assert " style=" not in html and "<script>" not in html
    assert "vendor/echarts/echarts.min.js" in html and "js/progress-chart.js" in html
    assert "css/progress.css" in html


def test_my_progress_refuses_a_year_out_of_range(client, member):
    client.force_login(member)
    assert client.get(reverse("progress:my_progress"), {"year": "1999"}).status_code == 404
    assert client.get(reverse("progress:my_progress"), {"year": "soon"}).status_code == 404


def test_branch_page_sorts_highlights_and_summarises(client, secretary, branch_a, member):
    branch_a_people(branch_a, member, secretary)
    client.force_login(secretary)

    counted()
    response = client.get(branch_url(branch_a, year=2025, order="-total"))

    assert [row.member.full_name for row in response.context["rows"]] == ["刘芳", "张三", "书记甲", "杨洋"]
    html = response.content.decode()
    assert html.count('class="table-warning progress-behind"') == 3
    assert 'aria-sort="descending"' in html and "?year=2025&amp;order=total" in html
    assert response.context["summary"].behind == 3
    assert " style=" not in html and "<script" not in html.split("</footer>")[0]


def test_branch_page_falls_back_to_names_for_an_unknown_order(client, secretary, branch_a):
    client.force_login(secretary)
    response = client.get(branch_url(branch_a, order="salary"))
    assert response.status_code == 200 and response.context["order"] == "name"


def test_branch_page_query_count_does_not_grow_with_members(client, secretary, branch_a):
    study_requirement_for(YEAR)
    many_members(branch_a, 4)
    client.force_login(secretary)
    counted()
    client.get(reverse("home"))  # warm the session
    small, response = count_queries(lambda: client.get(branch_url(branch_a, year=2025)))
    assert response.status_code == 200
    many_members(branch_a, 45)
    counted()
    large, response = count_queries(lambda: client.get(branch_url(branch_a, year=2025, order="progress")))
    assert len(response.context["rows"]) == 50
    assert large == small


# --- in a real browser -----------------------------------------------------

CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.sample || event.blockedURI));
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_month_chart_draws_under_the_csp(browser, live_server, member):
    known_data_set(member_of(member))
    # With nothing counted yet the page says 暂无数据 instead of drawing a chart.
    figures_recompute_year(2025)
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "member")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}{reverse('progress:my_progress')}?year=2025")
    page.wait_for_selector(".progress-chart svg")

    assert page.locator(".progress-chart svg path").count() > 0
    assert page.evaluate("document.querySelector('.progress-chart').getBoundingClientRect().height") > 100
    assert page.evaluate("window.__cspViolations") == []
    assert errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("details.progress-table summary")
    assert page.locator("details.progress-table table").is_visible()
    context.close()
