"""A member's home-page to-do list and hours against the pace for the date, read with the ledger in one query."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from members.models import StaleFigures
from members.tests.factories import MemberFactory
from training.models import Assignment, AssignmentTarget, OnlineStudyRecord, StudyNote
from training.selectors.progress import member_progress
from training.selectors.todo import hours_due_by, member_home, member_todo_counts, pace_fraction
from training.services.figures import figures_recompute_year
from training.tests.factories import at

pytestmark = pytest.mark.django_db

NOW = at(2025, 6, 16, 10)
TODAY = datetime.date(2025, 6, 16)
YEAR = 2025


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _target(member, *, kind="self_study", due_in_days, status="open"):
    assignment = Assignment.objects.create(
        title=f"任务{due_in_days}", kind=kind, due_on=TODAY + datetime.timedelta(days=due_in_days)
    )
    return AssignmentTarget.objects.create(assignment=assignment, member=member, status=status)


def _note(member, status):
    return StudyNote.objects.create(
        member=member,
        title="笔记",
        body="心得",
        study_date=TODAY,
        hours=Decimal("1"),
        status=status,
        grade="pass" if status == "passed" else "",
        review_comment="请补充体会" if status == "returned" else "",
    )


def test_pace_is_the_share_of_the_year_gone_by():
    assert pace_fraction(datetime.date(2025, 12, 31)) == 1
    assert pace_fraction(datetime.date(2024, 12, 31)) == 1  # a leap year has 366 days
    assert hours_due_by(Decimal("32"), datetime.date(2025, 7, 2)) == Decimal("16.0")  # day 183 of 365
    assert hours_due_by(Decimal("32"), TODAY) == Decimal("14.6")


def test_member_home_lists_due_and_overdue_work_most_urgent_first(branch_a):
    member = MemberFactory(branch=branch_a)
    _target(member, due_in_days=-2)
    _target(member, due_in_days=3)
    _target(member, due_in_days=20)  # not this week
    _target(member, due_in_days=-1, status="done")
    _target(member, kind="make_up", due_in_days=-3)
    _target(member, kind="make_up", due_in_days=10)
    _note(member, "returned")
    _note(member, "submitted")
    OnlineStudyRecord.objects.create(member=member, study_date=TODAY, course="网络课程", hours=Decimal("4"))
    figures_recompute_year(YEAR, today=TODAY)

    home = member_home(member, year=YEAR, today=TODAY)

    assert [(item.key, item.count) for item in home.todo] == [
        ("make_up_overdue", 1),
        ("assignments_overdue", 1),
        ("notes_returned", 1),
        ("make_up_due", 1),
        ("assignments_week", 1),
        ("below_pace", 1),
    ]
    assert home.todo[2].url == reverse("selfstudy:note_list") + "?status=returned"
    assert home.pace.total == Decimal("4") and home.pace.due_by_today == Decimal("14.6")
    assert home.pace.behind is True and home.pace.gap == Decimal("10.6")
    assert home.progress.assignments.overdue == 2 and home.progress.assignments.due == 3
    assert home.progress.assignments.done == 1
    assert home.freshness.computed_at is not None and home.freshness.pending is False


def test_member_home_has_nothing_waiting_for_a_member_on_pace(branch_a):
    member = MemberFactory(branch=branch_a)
    OnlineStudyRecord.objects.create(member=member, study_date=TODAY, course="网络课程", hours=Decimal("20"))
    figures_recompute_year(YEAR, today=TODAY)

    home = member_home(member, year=YEAR, today=TODAY)

    assert home.todo == []
    assert home.pace.behind is False


def test_member_home_says_when_a_recount_is_pending(branch_a):
    member = MemberFactory(branch=branch_a)
    figures_recompute_year(YEAR, today=TODAY)
    StaleFigures.objects.create(year=YEAR, member=member)

    assert member_home(member, year=YEAR, today=TODAY).freshness.pending is True


def test_member_home_reads_live_before_the_first_count(branch_a):
    member = MemberFactory(branch=branch_a)
    _target(member, due_in_days=-1)

    home = member_home(member, year=YEAR, today=TODAY)

    assert home.freshness.computed_at is None and home.freshness.pending is True
    assert [item.key for item in home.todo] == ["assignments_overdue", "below_pace"]


def test_member_home_is_one_query_whatever_the_number_of_records(branch_a, django_assert_num_queries):
    member = MemberFactory(branch=branch_a)
    figures_recompute_year(YEAR, today=TODAY)
    with django_assert_num_queries(1):
        member_home(member, year=YEAR, today=TODAY)
    for days in range(-5, 5):
        _target(member, due_in_days=days)
        _note(member, "returned")
    figures_recompute_year(YEAR, today=TODAY)
    with django_assert_num_queries(1):
        home = member_home(member, year=YEAR, today=TODAY)
    assert home.progress.assignments.open == 10


def test_member_home_statement_agrees_with_the_orm_definitions(branch_a):
    member = MemberFactory(branch=branch_a)
    for days, kind, status in [
        (-4, "self_study", "open"),
        (0, "self_study", "open"),
        (6, "self_study", "open"),
        (7, "self_study", "open"),
        (-1, "self_study", "done"),
        (-2, "make_up", "open"),
        (0, "make_up", "open"),
        (9, "make_up", "done"),
    ]:
        _target(member, kind=kind, due_in_days=days, status=status)
    _note(member, "returned")
    _note(member, "returned")
    _note(member, "passed")
    figures_recompute_year(YEAR, today=TODAY)

    home = member_home(member, year=YEAR, today=TODAY)

    live = member_progress(member, YEAR, today=TODAY)
    assert home.progress.assignments == live.assignments
    assert (home.progress.total, home.progress.requirement) == (live.total, live.requirement)
    counts = member_todo_counts(member, today=TODAY)
    assert {item.key: item.count for item in home.todo if item.key != "below_pace"} == {
        key: value for key, value in counts.items() if value
    }
    assert counts == {
        "assignments_overdue": 1,
        "assignments_week": 2,
        "make_up_overdue": 1,
        "make_up_due": 1,
        "notes_returned": 2,
    }
