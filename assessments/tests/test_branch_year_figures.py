"""The branch-and-year rows of the figures ledger follow every service that changes what they sum.

Each step goes through the service a click calls and the worker's refresh;
after each, the stored row holds the hand-counted figures, equals a fresh
sum of the rows below it, and reconciliation finds no difference.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine

from assessments.models import BranchYearFigures, YearEndAssessment
from assessments.selectors.dashboards import dashboard
from assessments.services.branch_figures import FIGURES, branch_year_figures
from assessments.services.yearend import branch_verdicts_save
from branches.tests.factories import BranchFactory
from members.models import StaleFigures
from members.tests.factories import MemberFactory
from training.models import StudyPlanItem
from training.services.figures import figures_refresh
from training.services.lessons import attendance_mark, audience_sync, lesson_close, lesson_save
from training.services.plans import plan_item_add, plan_item_delete, study_plan_get_or_create
from training.services.reconcile import reconcile_figures, reconcile_year
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db
YEAR = 2026
TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(at(2026, 6, 30, 12), tick=False):
        yield


def stored(branch) -> dict:
    row = BranchYearFigures.objects.get(branch=branch, year=YEAR)
    return {name: getattr(row, name) for name in FIGURES}


def assert_in_step(branch):
    """The stored row equals a fresh sum, and reconciliation agrees."""
    fresh = branch_year_figures(YEAR, [branch.pk])[branch.pk]
    assert stored(branch) == {name: fresh.get(name) if fresh.get(name) is not None else 0 for name in FIGURES}
    assert reconcile_year(YEAR, today=TODAY) == []


@pytest.fixture
def branch_with_plan(committee, admin_user):
    branch = BranchFactory(name="台账支部", code="by", parent=committee)
    members = [MemberFactory(branch=branch) for _ in range(3)]
    figures_refresh()  # the members' marks; the plan's come from plan_item_add alone
    plan = study_plan_get_or_create(branch=branch, year=YEAR, actor=admin_user)
    items = [
        plan_item_add(
            plan=plan, data={"month": month, "topic": f"专题{month}", "kind": "central_study"}, actor=admin_user
        )
        for month in (3, 4, 5)
    ]
    figures_refresh()
    return branch, members, items


def held_lesson(branch, members, item, actor, *, present):
    lesson = LessonFactory(organiser=branch, start=at(2026, 3, 10, 9), end=at(2026, 3, 10, 11), plan_item=item)
    audience_sync(lesson=lesson)
    result = attendance_mark(lesson=lesson, marks={m.pk: ("present", "现场签到") for m in present}, actor=actor)
    assert not result.errors
    lesson_close(lesson=lesson, actor=actor)
    return lesson


def test_plan_items_and_a_held_lesson_reach_the_branch_row(branch_with_plan, admin_user):
    branch, members, items = branch_with_plan
    row = stored(branch)
    assert (row["lessons_planned"], row["plan_done"], row["members"], row["lessons_held"]) == (3, 0, 3, 0)
    assert_in_step(branch)

    lesson = held_lesson(branch, members, items[0], admin_user, present=members[:2])
    figures_refresh()
    row = stored(branch)
    assert (row["lessons_planned"], row["plan_done"]) == (3, 1)
    assert (row["lessons_held"], row["attendance_rows"], row["attended"]) == (1, 3, 2)
    assert row["total_hours"] == Decimal("4")  # two members, 2 credit hours each
    assert_in_step(branch)

    # The lesson moves to another plan item: the first is no longer done, the second is.
    lesson.plan_item = items[1]
    lesson_save(lesson=lesson, actor=admin_user)
    figures_refresh()
    assert stored(branch)["plan_done"] == 1
    assert {i.pk for i in items if i.lessons.filter(status="held").exists()} == {items[1].pk}
    # A second held lesson on the same item: still one item planned and done.
    held_lesson(branch, members, items[1], admin_user, present=members[:1])
    figures_refresh()
    assert (stored(branch)["lessons_planned"], stored(branch)["plan_done"]) == (3, 1)

    plan_item_delete(item=items[2], actor=admin_user)
    figures_refresh()
    assert (stored(branch)["lessons_planned"], stored(branch)["plan_done"]) == (2, 1)
    assert_in_step(branch)
    card = next(r for r in dashboard(YEAR, today=TODAY).rows if r.branch.pk == branch.pk)
    assert (card.lessons_planned, card.plan_done, card.plan_completion) == (2, 1, 0.5)


def test_verdicts_move_the_outcomes_and_scores_at_once(branch_with_plan, admin_user):
    branch, members, _items = branch_with_plan
    assert stored(branch)["not_evaluated"] == 3
    branch_verdicts_save(
        branch_id=branch.pk,
        year=YEAR,
        verdicts={members[0].pk: ("excellent", 100), members[1].pk: ("qualified", 80)},
        actor=admin_user,
    )
    row = stored(branch)
    assert (row["evaluated_excellent"], row["evaluated_qualified"], row["not_evaluated"]) == (1, 1, 1)
    scores = YearEndAssessment.objects.filter(branch=branch, year=YEAR).values_list("score", flat=True)
    assert row["score_sum"] == sum(scores) and row["score_sum"] > 0  # the ratings count in the scores
    assert_in_step(branch)
    card = next(r for r in dashboard(YEAR, today=TODAY).rows if r.branch.pk == branch.pk)
    assert card.evaluations == {"excellent": 1, "qualified": 1, "basic": 0, "unqualified": 0, "none": 1}
    assert card.avg_score == row["score_sum"] / 3


def test_reconciliation_reports_and_repairs_a_wrong_branch_row(branch_with_plan):
    branch, _members, _items = branch_with_plan
    BranchYearFigures.objects.filter(branch=branch, year=YEAR).update(members=7, plan_done=2)
    found = {(d.figure, d.ledger, d.recomputed) for d in reconcile_year(YEAR, today=TODAY)}
    assert found == {("members", 7, 3), ("plan_done", 2, 0)}
    reconcile_figures(YEAR, fix=True, today=TODAY)
    assert reconcile_year(YEAR, today=TODAY) == []
    assert (stored(branch)["members"], stored(branch)["plan_done"]) == (3, 0)


def test_a_missing_branch_row_is_a_difference(branch_with_plan):
    branch, _members, _items = branch_with_plan
    BranchYearFigures.objects.filter(branch=branch, year=YEAR).delete()
    assert ("lessons_planned", 0, 3) in {(d.figure, d.ledger, d.recomputed) for d in reconcile_year(YEAR, today=TODAY)}


def test_a_plan_item_changed_in_the_admin_marks_its_branch_and_year(branch_with_plan):
    """The admin saves and deletes models directly; the signals mark the plan's figures stale all the same."""
    branch, _members, items = branch_with_plan
    assert not StaleFigures.objects.exists()
    StudyPlanItem.objects.create(plan=items[0].plan, month=9, topic="后台添加", kind="central_study")
    assert StaleFigures.objects.filter(year=YEAR, branch=branch).exists()
    figures_refresh()
    assert stored(branch)["lessons_planned"] == 4
    items[0].delete()
    figures_refresh()
    assert stored(branch)["lessons_planned"] == 3
    assert_in_step(branch)
