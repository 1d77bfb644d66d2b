"""The benchmark scales, built tiny: the city shape, valid records, determinism, indicators, re-runs."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.utils import timezone

from assessments.models import YearEndAssessment
from branches.models import Branch, Venue
from demo.management.commands.seed_demo import SCALES as COMMAND_SCALES
from demo.scale.build import planned_members, seed_scale
from demo.scale.common import PASSWORD, SCALES
from members.identity import MOBILE_PHONE, parse_id_number
from members.models import Member, Membership, Post
from members.permissions import LEADERSHIP_GROUP
from members.pinyin import name_index
from training.models import (
    Assignment,
    AssignmentTarget,
    Attendance,
    Lesson,
    LessonHost,
    NoteFingerprint,
    OnlineStudyRecord,
    StudyNote,
    StudyNoteVersion,
    StudyPlan,
    StudyPlanItem,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)
TINY = {"branches": 4, "members_per_branch": 5, "months": 3}


@pytest.fixture
def built():
    return seed_scale("city", today=TODAY, **TINY)


def test_city_and_province_are_seed_demo_scales():
    assert {"county", "city", "province"} <= set(COMMAND_SCALES)
    assert SCALES["city"].sizes.branches == 400 and SCALES["city"].sizes.members_per_branch == 30
    assert SCALES["province"].sizes.branches == 10 * SCALES["city"].sizes.branches


def test_tiny_city_has_the_organisation_shape(built):
    codes = Branch.objects.filter(code__startswith="city-")
    assert codes.filter(kind=Branch.Kind.PARTY_GROUP, parent=None).count() == 1
    committee = codes.get(kind=Branch.Kind.COMMITTEE)
    general = codes.get(kind=Branch.Kind.GENERAL_BRANCH, parent=committee)
    assert set(codes.filter(kind=Branch.Kind.BRANCH).values_list("parent", flat=True)) == {general.pk}
    assert built["organisations"] == 7 and built["branches"] == 4
    assert Member.objects.count() == built["members"] == 20
    assert Venue.objects.count() == 1
    # Three committee posts per branch, and the 党总支's secretary.
    assert Post.objects.count() == 13
    assert Post.objects.filter(branch=general, kind="secretary").count() == 1
    assert set(Post.objects.values_list("kind", flat=True)) == {"secretary", "organising", "publicity"}
    assert StudyPlan.objects.count() == 4 and StudyPlanItem.objects.count() == 48
    # Two a month a branch from April to December (the window runs on to the end of the year).
    assert Lesson.objects.count() == 4 * 2 * 9
    assert built["created"]["members"] == 20


def test_members_have_valid_unique_identities(built):
    members = list(Member.objects.all())
    assert len({m.id_number for m in members}) == len({m.phone for m in members}) == len(members)
    for member in members:
        assert parse_id_number(member.id_number) == (member.birth_date, member.gender), member.id_number
        assert MOBILE_PHONE.match(member.phone)
        assert (member.name_pinyin, member.name_initials) == name_index(member.full_name)
        if member.status == Member.Status.PROBATIONARY:
            assert member.full_member_on is None
        else:
            assert member.full_member_on >= member.joined_party_on


def test_memberships_follow_the_member_branch(built):
    for member in Member.objects.all():
        assert member.memberships.get(end_on__isnull=True).branch_id == member.branch_id
    transferred = Member.objects.annotate(n=Count("memberships")).filter(n=2)
    assert transferred.count() == 1
    closed = Membership.objects.get(end_on__isnull=False)
    assert closed.branch_id != closed.member.branch_id
    assert closed.end_on < Membership.objects.get(member=closed.member, end_on=None).start_on


def test_attendance_only_for_held_lessons(built):
    assert Attendance.objects.exists()
    assert not Attendance.objects.exclude(lesson__status=Lesson.Status.HELD).exists()
    now = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(12)))
    fortnight = now + datetime.timedelta(days=14)
    assert not Lesson.objects.filter(status=Lesson.Status.HELD, start__gt=now).exists()
    published = Lesson.objects.filter(status=Lesson.Status.PUBLISHED)
    assert published.exists() and not published.exclude(start__gt=now, start__lte=fortnight).exists()
    assert not Lesson.objects.filter(status=Lesson.Status.DRAFT, start__lte=fortnight).exists()
    checked_in = Q(checked_in_at__isnull=False)
    assert not Attendance.objects.filter(status__in=["present", "late"]).exclude(checked_in).exists()
    assert not Attendance.objects.filter(status__in=["leave", "absent"]).filter(checked_in).exists()
    # Each organiser hosts its lesson; attendees belonged to a host branch that day.
    assert LessonHost.objects.filter(is_organiser=True).count() == Lesson.objects.count()
    for row in Attendance.objects.select_related("lesson"):
        day = row.lesson.start.date()
        hosts = LessonHost.objects.filter(lesson=row.lesson).values("branch")
        in_branch = Membership.objects.filter(member=row.member_id, branch__in=hosts, start_on__lte=day)
        assert in_branch.filter(Q(end_on=None) | Q(end_on__gte=day)).exists()


def test_study_records_are_consistent(built):
    assert StudyNote.objects.exists() and OnlineStudyRecord.objects.exists()
    assert not StudyNote.objects.filter(status="passed", grade="").exists()
    assert StudyNoteVersion.objects.count() >= StudyNote.objects.exclude(status="draft").count()
    assert not NoteFingerprint.objects.exists()
    assert Assignment.objects.filter(kind=Assignment.Kind.SELF_STUDY).exists()
    done = AssignmentTarget.objects.filter(status="done")
    assert done.exists() and not done.filter(completed_at=None).exists()
    for make_up in Assignment.objects.filter(kind=Assignment.Kind.MAKE_UP):
        missed = Attendance.objects.filter(lesson=make_up.lesson_id, status__in=["leave", "absent"])
        assert set(missed.values_list("member", flat=True)) == set(make_up.targets.values_list("member", flat=True))


def test_indicators_are_computed_for_both_years(built):
    assert YearEndAssessment.objects.filter(year=TODAY.year).count() == 20
    assert YearEndAssessment.objects.filter(year=TODAY.year - 1).exists()
    assert YearEndAssessment.objects.filter(year=TODAY.year, lessons_total__gt=0).exists()
    assert set(built["indicators"]) == {TODAY.year - 1, TODAY.year}


def test_bench_logins_work(built):
    User = get_user_model()
    first_branch = Branch.objects.filter(kind=Branch.Kind.BRANCH, code__startswith="city-").order_by("code").first()
    secretary = User.objects.get(username="bench_secretary")
    assert Post.objects.filter(member__user=secretary, branch=first_branch, kind="secretary").exists()
    assert User.objects.get(username="bench_member").member.branch == first_branch
    assert User.objects.get(username="bench_leader").groups.filter(name=LEADERSHIP_GROUP).exists()
    assert secretary.check_password(PASSWORD) is True
    assert [login["username"] for login in built["logins"]] == [
        "bench_secretary",
        "bench_member",
        "bench_leader",
        "bench_gb_secretary",
    ]


def test_build_is_deterministic(built):
    stored = list(Member.objects.order_by("pk").values_list("full_name", "id_number", "phone"))
    planned = planned_members("city", today=datetime.date(2030, 1, 2), **TINY)
    assert [(p["full_name"], p["id_number"], p["phone"]) for p in planned] == stored
    # The city preset starts with the same people, whatever the day it is built.
    assert stored[:2] == [
        ("林雪燕", "513501198104121185", "18712345678"),
        ("冯红", "513501197505064447", "18219685711"),
    ]


def test_second_run_changes_nothing(built):
    counts = (Branch.objects.count(), Member.objects.count(), Lesson.objects.count(), Attendance.objects.count())
    again = seed_scale("city", today=TODAY, **TINY)
    assert again["created"] == {}
    assert again["members"] == 20
    after = (Branch.objects.count(), Member.objects.count(), Lesson.objects.count(), Attendance.objects.count())
    assert after == counts


def test_sizes_reject_a_branch_too_small():
    with pytest.raises(ValueError):
        seed_scale("city", branches=1, members_per_branch=3)


def test_seed_demo_builds_province_with_a_size_override():
    out = io.StringIO()
    call_command("seed_demo", scale="province", sizes="branches=3,members_per_branch=5,months=2", stdout=out)
    organisations = Branch.objects.filter(code__startswith="province-")
    assert organisations.filter(kind=Branch.Kind.BRANCH).count() == 3
    assert organisations.get(kind=Branch.Kind.PARTY_GROUP).name == "青川省交通运输厅党组"
    assert Member.objects.filter(branch__code__startswith="province-").count() == 15
    assert "党员 15 名" in out.getvalue()


@pytest.mark.parametrize(
    ("sizes", "message"),
    [("branchez=3", "无法识别的规模参数"), ("branches=x", "不是数字"), ("members_per_branch=2", "至少五名党员")],
)
def test_seed_demo_refuses_a_bad_size_override_before_building(sizes, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", scale="province", sizes=sizes, stdout=io.StringIO())
    assert not Branch.objects.exists()
