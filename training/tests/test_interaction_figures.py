"""Interactive-lesson figures in the ledger: written on refresh, shown on the dashboard, reconciled."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from members.tests.factories import MemberFactory
from training.models import Attendance, BranchInteractionFigures, LiveItem
from training.services.figures import figures_refresh
from training.services.lessons import audience_sync, lesson_close
from training.services.live import live_answer_submit, live_item_create, live_item_open, live_item_reveal
from training.services.reconcile import reconcile_figures
from training.tests.conftest import member_of
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(branch_a, secretary, member):
    """A lesson of branch A with three present, a poll answered by two and a quiz by three; and a plain lesson."""
    start = timezone.now() - datetime.timedelta(hours=3)
    lesson = LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=2))
    plain = LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=2))
    people = [member_of(member), member_of(secretary), MemberFactory(branch=branch_a)]
    audience_sync(lesson=lesson)
    for person in people:
        Attendance.objects.update_or_create(lesson=lesson, member=person, defaults={"status": "present"})
    poll = live_item_open(
        item=live_item_create(lesson=lesson, kind="poll", text="投票", options=["甲", "乙"], actor=secretary),
        actor=secretary,
    )
    for person in people[:2]:
        live_answer_submit(item=poll, member=person, choices=[0])
    quiz = live_item_open(
        item=live_item_create(
            lesson=lesson, kind="quiz", text="测验", options=["对", "错"], correct=[0], actor=secretary
        ),
        actor=secretary,
    )
    for person, choice in zip(people, [0, 0, 1], strict=True):
        live_answer_submit(item=quiz, member=person, choices=[choice])
    live_item_reveal(item=quiz, actor=secretary)
    live_item_create(lesson=lesson, kind="poll", text="未开的题", options=["甲", "乙"], actor=secretary)
    lesson_close(lesson=lesson, actor=secretary)
    lesson_close(lesson=plain, actor=secretary)
    figures_refresh()
    return lesson


def test_ledger_rows_follow_the_definitions(session, branch_a):
    year = timezone.localtime(session.start).year
    row = BranchInteractionFigures.objects.get(year=year, branch=branch_a)
    assert (row.lessons_held, row.lessons_interactive, row.answer_slots, row.answers) == (2, 1, 6, 5)
    assert (row.interactive_share, row.participation, row.quiz_average) == (50, 83, 66.7)
    bureau = BranchInteractionFigures.objects.get(year=year, branch__isnull=True)
    assert (bureau.lessons_held, bureau.answers, bureau.quiz_results) == (2, 5, 3)


def test_closing_the_lesson_closes_its_questions(session):
    assert not LiveItem.objects.filter(lesson=session, status="open").exists()


def test_reconciliation_finds_and_repairs_a_difference(session, branch_a):
    year = timezone.localtime(session.start).year
    assert reconcile_figures(year) == []
    BranchInteractionFigures.objects.filter(year=year, branch=branch_a).update(answers=99)
    differences = reconcile_figures(year, fix=True)
    assert [(d.figure, d.ledger, d.recomputed) for d in differences] == [("answers", 99, 5)]
    assert BranchInteractionFigures.objects.get(year=year, branch=branch_a).answers == 5


def test_leadership_dashboard_shows_the_figures(client, session, leader):
    client.force_login(leader)
    year = timezone.localtime(session.start).year
    page = client.get(reverse("assessments:dashboard"), {"year": year}).content.decode()
    assert 'id="interaction-branches"' in page and "1/2" in page and "83%" in page


def test_a_refresh_rewrites_the_marked_organisers_and_adds_up_the_bureau(session, branch_a, branch_b, secretary):
    """Another branch's lesson rewrites its own row only; the bureau row stays the sum of the branch rows."""
    year = timezone.localtime(session.start).year
    before = BranchInteractionFigures.objects.get(year=year, branch=branch_a)
    start = timezone.now() - datetime.timedelta(hours=3)
    other = LessonFactory(organiser=branch_b, start=start, end=start + datetime.timedelta(hours=2))
    audience_sync(lesson=other)
    lesson_close(lesson=other, actor=secretary)
    figures_refresh()
    kept = BranchInteractionFigures.objects.get(year=year, branch=branch_a)
    assert (kept.pk, kept.computed_at) == (before.pk, before.computed_at)  # not rewritten
    of_b = BranchInteractionFigures.objects.get(year=year, branch=branch_b)
    bureau = BranchInteractionFigures.objects.get(year=year, branch__isnull=True)
    assert (of_b.lessons_held, of_b.lessons_interactive) == (1, 0)
    assert (bureau.lessons_held, bureau.lessons_interactive, bureau.answers) == (3, 1, 5)
    assert reconcile_figures(year) == []
