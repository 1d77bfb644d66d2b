"""Party standing (党籍状态): a member not in good standing is left out of requirements and figures."""

import datetime

import pytest
from django.utils import timezone

from members.models import Member, StaleFigures
from members.services.members import member_update
from members.tests.factories import MemberFactory
from training.models import Lesson, MemberYearFigures
from training.services.figures import figures_recompute_year
from training.services.lessons import lesson_audience
from training.services.reconcile import reconcile_figures
from training.services.study import assignment_create
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(branch_a):
    return {
        "normal": MemberFactory(branch=branch_a),
        "suspended": MemberFactory(branch=branch_a, standing=Member.Standing.SUSPENDED),
        "lost": MemberFactory(branch=branch_a, standing=Member.Standing.LOST_CONTACT),
    }


def test_member_not_in_good_standing_has_no_requirement_and_no_figures(members):
    year = timezone.localdate().year
    figures_recompute_year(year)
    counted = set(MemberYearFigures.objects.filter(year=year).values_list("member_id", flat=True))
    assert counted == {members["normal"].pk}
    assert MemberYearFigures.objects.get(year=year, member=members["normal"]).required_hours > 0
    assert reconcile_figures(year) == []


def test_member_not_in_good_standing_is_not_in_a_lessons_audience(branch_a, members):
    lesson = LessonFactory(organiser=branch_a, start=timezone.now() + datetime.timedelta(days=2))
    lesson.extra_audience.add(members["lost"])
    assert set(lesson_audience(lesson).values_list("pk", flat=True)) == {members["normal"].pk}
    assert lesson.status == Lesson.Status.PUBLISHED


def test_standing_change_marks_the_live_years_stale_and_the_ledger_follows(members):
    year = timezone.localdate().year
    figures_recompute_year(year)
    member = members["normal"]
    StaleFigures.objects.all().delete()
    assert member_update(member=member, data={"standing": Member.Standing.SUSPENDED}, actor=None) is True
    assert set(StaleFigures.objects.filter(member=member).values_list("year", flat=True)) == {year - 1, year}
    figures_recompute_year(year)
    assert not MemberYearFigures.objects.filter(year=year, member=member).exists()
    assert reconcile_figures(year) == []
    assert member_update(member=member, data={"standing": Member.Standing.NORMAL}, actor=None) is True
    figures_recompute_year(year)
    assert MemberYearFigures.objects.filter(year=year, member=member).exists()


def test_self_study_is_not_assigned_to_a_member_not_in_good_standing(branch_a, members):
    assignment = assignment_create(
        data={"title": "学习党章", "due_on": timezone.localdate() + datetime.timedelta(days=7), "min_hours": 2},
        branch=branch_a,
        branch_ids=[branch_a.pk],
        member_ids=[members["lost"].pk],
        actor=None,
    )
    assert set(assignment.targets.values_list("member_id", flat=True)) == {members["normal"].pk}
