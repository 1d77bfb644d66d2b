"""Home-page to-do lists of a branch committee and of leadership: each count, its link, order and scope."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from assessments.models import BranchAssessment, CheckupReport, RectificationItem, SupervisionVisit
from assessments.selectors.todo import leadership_todo, secretary_todo
from members.models import Member
from members.tests.factories import MemberFactory, PostFactory, UserFactory
from training.models import Assignment, AssignmentTarget, Attendance, LeaveRequest, LessonHost, StudyNote
from training.selectors.todo import pace_fraction
from training.services.figures import figures_recompute_year
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db

# Monday 16 June 2025, 10:00 in Asia/Shanghai.
NOW = at(2025, 6, 16, 10)
TODAY = datetime.date(2025, 6, 16)
YEAR = 2025


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _note(member, *, submitted_days_ago):
    return StudyNote.objects.create(
        member=member,
        title="学习笔记",
        body="心得",
        study_date=TODAY,
        hours=Decimal("1"),
        status=StudyNote.Status.SUBMITTED,
        submitted_at=NOW - datetime.timedelta(days=submitted_days_ago),
    )


def _visit(branch, *deadlines):
    visit = SupervisionVisit.objects.create(branch=branch, visited_on=TODAY, inspectors="督查组", findings="发现问题")
    for deadline in deadlines:
        RectificationItem.objects.create(visit=visit, description="整改", owner="书记", deadline=deadline)
    return visit


def _work_for(branch, *, other_branch):
    """One of each kind of waiting work for *branch*'s committee; *other_branch* hosts the invitation."""
    member = MemberFactory(branch=branch)
    _note(member, submitted_days_ago=10)
    _note(member, submitted_days_ago=1)

    soon = LessonFactory(organiser=branch, start=NOW + datetime.timedelta(days=2))
    LeaveRequest.objects.create(lesson=soon, member=member, reason="出差")

    joint = LessonFactory(organiser=other_branch, start=NOW + datetime.timedelta(days=3))
    LessonHost.objects.create(lesson=joint, branch=branch)

    ended = LessonFactory(organiser=branch, start=NOW - datetime.timedelta(days=1, hours=2))
    Attendance.objects.create(lesson=ended, member=member)
    Attendance.objects.create(lesson=ended, member=MemberFactory(branch=branch))

    make_up = Assignment.objects.create(
        title="补学",
        kind=Assignment.Kind.MAKE_UP,
        lesson=ended,
        branch=branch,
        due_on=TODAY - datetime.timedelta(days=1),
    )
    AssignmentTarget.objects.create(assignment=make_up, member=member)

    week = Assignment.objects.create(title="自学", branch=branch, due_on=TODAY + datetime.timedelta(days=3))
    AssignmentTarget.objects.create(assignment=week, member=member, status=AssignmentTarget.Status.DONE)
    AssignmentTarget.objects.create(assignment=week, member=MemberFactory(branch=branch))

    _visit(branch, TODAY - datetime.timedelta(days=1), TODAY + datetime.timedelta(days=3))
    return {"member": member, "soon": soon, "joint": joint, "ended": ended}


def _by_key(items):
    return {item.key: item for item in items}


def test_secretary_todo_counts_each_kind_of_waiting_work_most_urgent_first(secretary, branch_a, branch_b):
    work = _work_for(branch_a, other_branch=branch_b)
    figures_recompute_year(YEAR, today=TODAY)

    with translation.override("en"):
        items = secretary_todo(secretary, year=YEAR, today=TODAY, now=timezone.now())

    by_key = _by_key(items)
    assert [item.key for item in items] == [
        "notes",
        "close",
        "make_up",
        "rectification_overdue",
        "leave",
        "invitations",
        "assignments_week",
        "rectification_week",
        "below_pace",
    ]
    assert by_key["notes"].count == 2 and by_key["notes"].is_overdue is True
    assert by_key["notes"].url == reverse("selfstudy:review_queue")
    assert by_key["leave"].count == 1
    assert by_key["leave"].url == reverse("training:attendance", args=[work["soon"].pk])
    assert by_key["invitations"].url == reverse("training:lesson_detail", args=[work["joint"].pk])
    assert by_key["close"].count == 1 and "2" in by_key["close"].detail
    assert by_key["close"].url == reverse("training:attendance", args=[work["ended"].pk])
    assert by_key["make_up"].count == 1
    assert by_key["assignments_week"].count == 1 and by_key["assignments_week"].detail == "1 of 2 done"
    assert by_key["rectification_overdue"].count == 1 and by_key["rectification_week"].count == 1
    assert by_key["rectification_overdue"].url.endswith("?status=overdue")
    # Everyone in the branch has 0 hours: all four in the ledger are behind.
    assert by_key["below_pace"].count == Member.objects.filter(branch=branch_a).count() == 4
    assert by_key["below_pace"].url == reverse("progress:branch_progress", args=[branch_a.pk]) + "?order=progress"


def test_secretary_todo_says_nothing_when_nothing_waits(secretary, branch_a):
    assert secretary_todo(secretary, year=YEAR, today=TODAY, now=timezone.now()) == []


def test_secretary_todo_leaves_out_another_branch_work(secretary, branch_a, branch_b):
    _work_for(branch_b, other_branch=branch_a)
    figures_recompute_year(YEAR, today=TODAY)

    keys = [item.key for item in secretary_todo(secretary, year=YEAR, today=TODAY, now=timezone.now())]

    # Branch A's secretary is behind the pace themself; nothing of branch B's shows.
    assert keys == ["below_pace"]


def test_secretary_todo_skips_decided_and_past_requests_and_answered_invitations(secretary, branch_a, branch_b):
    member = MemberFactory(branch=branch_a)
    started = LessonFactory(organiser=branch_a, start=NOW - datetime.timedelta(minutes=30))
    LeaveRequest.objects.create(lesson=started, member=member, reason="病假")
    later = LessonFactory(organiser=branch_a, start=NOW + datetime.timedelta(days=1))
    LeaveRequest.objects.create(lesson=later, member=member, reason="病假", status=LeaveRequest.Status.APPROVED)
    joint = LessonFactory(organiser=branch_b, start=NOW + datetime.timedelta(days=1))
    LessonHost.objects.create(lesson=joint, branch=branch_a, status=LessonHost.Status.DECLINED)
    _note(member, submitted_days_ago=2)

    items = secretary_todo(secretary, year=YEAR, today=TODAY, now=timezone.now())

    # The started lesson is open, not ended: nothing to close yet either.
    assert [(item.key, item.count, item.is_overdue) for item in items] == [("notes", 1, False)]


def test_secretary_todo_runs_the_same_queries_whatever_the_data(
    secretary, branch_a, branch_b, django_assert_num_queries
):
    _work_for(branch_a, other_branch=branch_b)
    figures_recompute_year(YEAR, today=TODAY)
    secretary_todo(secretary, year=YEAR, today=TODAY, now=timezone.now())  # roles loaded
    with django_assert_num_queries(8):
        secretary_todo(secretary, year=YEAR, today=TODAY, now=timezone.now())

    for _ in range(3):
        _work_for(branch_a, other_branch=branch_b)
    figures_recompute_year(YEAR, today=TODAY)
    with django_assert_num_queries(8):
        items = secretary_todo(secretary, year=YEAR, today=TODAY, now=timezone.now())
    assert _by_key(items)["leave"].count == 4


def _assessed_branch(branch, *, hours):
    """A branch whose one member has *hours* hours this year (online study, counted in the ledger)."""
    from training.models import OnlineStudyRecord

    member = MemberFactory(branch=branch)
    OnlineStudyRecord.objects.create(member=member, study_date=TODAY, course="网络课程", hours=Decimal(hours))
    return member


def test_leadership_todo_counts_branches_behind_overdue_reports_and_confirmations(leader, branch_a, branch_b):
    _assessed_branch(branch_a, hours="30")  # ahead: 32 × 167/365 ≈ 14.6 due
    _assessed_branch(branch_b, hours="2")  # behind
    figures_recompute_year(YEAR, today=TODAY)
    _visit(branch_b, TODAY - datetime.timedelta(days=5), TODAY + datetime.timedelta(days=2))
    CheckupReport.objects.create(
        period="month",
        period_start=datetime.date(2025, 5, 1),
        period_end=datetime.date(2025, 5, 31),
        status=CheckupReport.Status.DONE,
        finished_at=NOW - datetime.timedelta(days=2),
    )
    BranchAssessment.objects.create(branch=branch_a, year=2024, status=BranchAssessment.Status.SUBMITTED)

    items = leadership_todo(leader, year=YEAR, today=TODAY, now=timezone.now())

    by_key = _by_key(items)
    assert [item.key for item in items] == [
        "rectification_overdue",
        "confirmations",
        "behind_meetings",
        "behind_hours",
        "reports",
    ]
    assert by_key["behind_hours"].count == 1
    # No meetings held anywhere: both branches are behind on 三会一课.
    assert by_key["behind_meetings"].count == 2
    assert by_key["rectification_overdue"].count == 1
    assert by_key["reports"].count == 1 and by_key["reports"].url == reverse("reports:report_list")
    assert by_key["confirmations"].url == reverse("assessments:branch_dashboard", args=[branch_a.pk]) + "?year=2024"
    assert Decimal("0.45") < pace_fraction(TODAY) < Decimal("0.46")


def test_leadership_todo_says_nothing_in_a_bureau_without_branches(leader):
    assert leadership_todo(leader, year=YEAR, today=TODAY, now=timezone.now()) == []


def test_leadership_todo_runs_the_same_queries_whatever_the_number_of_branches(
    leader, committee, django_assert_num_queries
):
    from branches.tests.factories import BranchFactory

    branch = BranchFactory(parent=committee)
    _assessed_branch(branch, hours="1")
    figures_recompute_year(YEAR, today=TODAY)
    leadership_todo(leader, year=YEAR, today=TODAY, now=timezone.now())
    with django_assert_num_queries(7):
        leadership_todo(leader, year=YEAR, today=TODAY, now=timezone.now())
    for _ in range(4):
        other = BranchFactory(parent=committee)
        _assessed_branch(other, hours="1")
        _visit(other, TODAY - datetime.timedelta(days=1))
    figures_recompute_year(YEAR, today=TODAY)
    with django_assert_num_queries(7):
        items = leadership_todo(leader, year=YEAR, today=TODAY, now=timezone.now())
    assert _by_key(items)["behind_hours"].count == 5


def test_a_leader_who_is_also_a_secretary_gets_their_branch_committee_list(branch_a, branch_b):
    user = UserFactory(username="leader_secretary")
    from members.permissions import leadership_group

    user.groups.add(leadership_group())
    PostFactory(member=MemberFactory(user=user, branch=branch_a), branch=branch_a)
    _note(MemberFactory(branch=branch_b), submitted_days_ago=1)
    _note(MemberFactory(branch=branch_a), submitted_days_ago=1)

    items = secretary_todo(user, year=YEAR, today=TODAY, now=timezone.now())

    assert _by_key(items)["notes"].count == 1
