"""The home page per role: to-do lists with links to the work, "nothing waiting", scope, and a fixed query count."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from assessments.models import RectificationItem, SupervisionVisit
from members.models import Member
from members.tests.factories import MemberFactory
from training.models import Assignment, AssignmentTarget, LeaveRequest, OnlineStudyRecord, StudyNote
from training.services.figures import figures_recompute_year
from training.tests.factories import AttendanceFactory, LessonFactory, at

pytestmark = pytest.mark.django_db

NOW = at(2025, 6, 16, 10)
TODAY = datetime.date(2025, 6, 16)
YEAR = 2025
MEMBER_HOME_QUERIES = 5  # session, user, roles (with the inbox count), upcoming lessons, ledger row with the to-do


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _waiting_work(branch):
    member = MemberFactory(branch=branch)
    StudyNote.objects.create(
        member=member,
        title="笔记",
        body="心得",
        study_date=TODAY,
        hours=Decimal("1"),
        status="submitted",
        submitted_at=NOW,
    )
    lesson = LessonFactory(organiser=branch, start=NOW + datetime.timedelta(days=1))
    LeaveRequest.objects.create(lesson=lesson, member=member, reason="出差")
    return lesson


def _home(client, user):
    client.force_login(user)
    client.get(reverse("home"))  # warm: the first request of a session writes it
    return client.get(reverse("home"))


def test_secretary_home_lists_waiting_notes_and_leave_with_links(client, secretary, branch_a):
    lesson = _waiting_work(branch_a)

    response = _home(client, secretary)

    html = response.content.decode()
    keys = [item.key for item in response.context["secretary_todo"]]
    assert keys[:2] == ["leave", "notes"]
    assert 'id="secretary-todo"' in html
    assert f'href="{reverse("selfstudy:review_queue")}"' in html
    assert f'href="{reverse("training:attendance", args=[lesson.pk])}"' in html


def test_secretary_home_does_not_show_another_branch_work(client, secretary, branch_a, branch_b):
    _waiting_work(branch_b)

    response = _home(client, secretary)

    assert [item.key for item in response.context["secretary_todo"]] == []
    assert 'id="secretary-todo-empty"' in response.content.decode()


def test_home_says_nothing_waiting_in_chinese(client, secretary, branch_a):
    response = _home(client, secretary)

    assert "暂无待办" in response.content.decode()


def test_member_home_shows_overdue_work_first_and_the_pace(client, member, branch_a):
    person = Member.objects.get(user=member)
    late = Assignment.objects.create(title="自学", due_on=TODAY - datetime.timedelta(days=1))
    AssignmentTarget.objects.create(assignment=late, member=person)
    OnlineStudyRecord.objects.create(member=person, study_date=TODAY, course="网络课程", hours=Decimal("3"))
    figures_recompute_year(YEAR, today=TODAY)

    response = _home(client, member)

    html = response.content.decode()
    assert [item.key for item in response.context["member_todo"]] == ["assignments_overdue", "below_pace"]
    assert 'id="todo-assignments_overdue"' in html and 'id="my-pace"' in html
    assert response.context["pace"].due_by_today == Decimal("14.6")
    assert "secretary_todo" not in response.context and "leadership_todo" not in response.context


def test_member_home_query_count_does_not_grow_with_data(client, member, branch_a, django_assert_num_queries):
    person = Member.objects.get(user=member)
    figures_recompute_year(YEAR, today=TODAY)
    client.force_login(member)
    client.get(reverse("home"))
    with django_assert_num_queries(MEMBER_HOME_QUERIES):
        assert client.get(reverse("home")).status_code == 200

    for days in range(-3, 4):
        assignment = Assignment.objects.create(title=f"自学{days}", due_on=TODAY + datetime.timedelta(days=days))
        AssignmentTarget.objects.create(assignment=assignment, member=person)
        lesson = LessonFactory(organiser=branch_a, start=NOW + datetime.timedelta(days=days + 4))
        AttendanceFactory(lesson=lesson, member=person, status="unmarked")
    figures_recompute_year(YEAR, today=TODAY)
    with django_assert_num_queries(MEMBER_HOME_QUERIES):
        response = client.get(reverse("home"))
    assert len(response.context["upcoming"]) == 5


def test_secretary_home_query_count_does_not_grow_with_data(client, secretary, branch_a, django_assert_num_queries):
    client.force_login(secretary)
    client.get(reverse("home"))
    figures_recompute_year(YEAR, today=TODAY)
    with django_assert_num_queries(14) as small:
        client.get(reverse("home"))
    for _ in range(4):
        _waiting_work(branch_a)
    figures_recompute_year(YEAR, today=TODAY)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("home"))
    assert {item.key: item.count for item in response.context["secretary_todo"]}["leave"] == 4


def test_leadership_home_lists_overdue_rectification(client, leader, branch_a):
    visit = SupervisionVisit.objects.create(branch=branch_a, visited_on=TODAY, inspectors="督查组", findings="问题")
    RectificationItem.objects.create(visit=visit, description="整改", owner="书记", deadline=TODAY)
    RectificationItem.objects.create(
        visit=visit, description="整改", owner="书记", deadline=TODAY - datetime.timedelta(days=1)
    )

    response = _home(client, leader)

    items = {item.key: item for item in response.context["leadership_todo"]}
    assert items["rectification_overdue"].count == 1
    assert 'id="todo-rectification_overdue"' in response.content.decode()
    assert "member_todo" not in response.context
