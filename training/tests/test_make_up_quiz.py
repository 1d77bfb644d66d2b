"""Make-up by quiz: passing completes the make-up target exactly as a passed note does."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import StaleFigures
from training.models import AssignmentTarget, Attendance, QuizResult, StudyNote
from training.services.figures import figures_refresh
from training.services.lessons import lesson_close
from training.services.live import live_item_create, live_pass_mark_set
from training.services.quizzes import make_up_quiz_submit
from training.services.study import note_review
from training.tests.conftest import member_of
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_lesson(branch_a, secretary, member):
    from training.services.lessons import audience_sync

    start = timezone.now() - datetime.timedelta(days=2)
    lesson = LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=2))
    audience_sync(lesson=lesson)
    Attendance.objects.filter(lesson=lesson, member=member_of(member)).update(status="leave")
    items = [
        live_item_create(
            lesson=lesson, kind="quiz", text=f"第{n}题", options=["对", "错"], correct=[0], actor=secretary
        )
        for n in range(4)
    ]
    live_pass_mark_set(lesson=lesson, pass_mark=75, actor=secretary)
    lesson_close(lesson=lesson, actor=secretary)
    lesson.quiz_items = items
    return lesson


def answers(items, right: int) -> dict:
    return {item.pk: ["0"] if n < right else ["1"] for n, item in enumerate(items)}


def stale_marks():
    return set(StaleFigures.objects.values_list("year", "member_id"))


def test_failing_keeps_the_task_open_and_passing_completes_it(held_lesson, member):
    me = member_of(member)
    result = make_up_quiz_submit(lesson=held_lesson, member=me, answers=answers(held_lesson.quiz_items, 2))
    assert (result.score, result.passed) == (50, False)
    target = AssignmentTarget.objects.get(member=me, assignment__lesson=held_lesson)
    assert target.status == "open"
    result = make_up_quiz_submit(lesson=held_lesson, member=me, answers=answers(held_lesson.quiz_items, 3))
    assert (result.score, result.passed) == (75, True)
    target.refresh_from_db()
    assert target.status == "done" and target.completed_at is not None
    assert QuizResult.objects.filter(source="make_up", member=me).count() == 1


def test_quiz_completion_counts_as_a_passed_note(held_lesson, member, secretary, branch_a):
    """Two members on leave: one passes the quiz, the other a note; their ledger rows agree."""
    from members.tests.factories import MemberFactory

    me = member_of(member)
    other = MemberFactory(branch=branch_a)
    Attendance.objects.update_or_create(lesson=held_lesson, member=other, defaults={"status": "leave"})
    AssignmentTarget.objects.create(
        assignment=AssignmentTarget.objects.get(member=me).assignment, member=other, reason="leave"
    )
    StaleFigures.objects.all().delete()
    make_up_quiz_submit(lesson=held_lesson, member=me, answers=answers(held_lesson.quiz_items, 4))
    quiz_marks = {year for year, member_id in stale_marks() if member_id == me.pk}
    note = StudyNote.objects.create(
        member=other,
        title="补学",
        body="学习体会",
        study_date=timezone.localdate(),
        hours=1,
        assignment=AssignmentTarget.objects.get(member=other).assignment,
        status="submitted",
    )
    note_review(note=note, passed=True, grade="good", comment="", actor=secretary)
    note_marks = {year for year, member_id in stale_marks() if member_id == other.pk}
    assert quiz_marks == note_marks
    figures_refresh()
    from training.models import MemberYearFigures

    year = timezone.localtime(held_lesson.start).year
    rows = {r.member_id: (r.lessons_attended, r.lessons_total) for r in MemberYearFigures.objects.filter(year=year)}
    assert rows[me.pk] == rows[other.pk] == (1, 1)


def test_make_up_quiz_page(client, held_lesson, member, outsider):
    client.force_login(member)
    page = client.get(reverse("quizzes:make_up_quiz", args=[held_lesson.pk]))
    assert page.status_code == 200 and 'id="make-up-form"' in page.content.decode()
    data = {f"q{item.pk}": "0" for item in held_lesson.quiz_items}
    client.post(reverse("quizzes:make_up_quiz", args=[held_lesson.pk]), data)
    assert AssignmentTarget.objects.get(member=member_of(member)).status == "done"
    lesson_page = client.get(held_lesson.get_absolute_url()).content.decode()
    assert 'id="make-up-quiz-link"' not in lesson_page
    client.force_login(outsider)
    assert client.get(reverse("quizzes:make_up_quiz", args=[held_lesson.pk])).status_code == 404
