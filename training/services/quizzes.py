"""Quizzes outside the lesson: the make-up quiz (补学测验) and knowledge quizzes (知识测试)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from members.models import Member
from members.services.figures import mark_figures_stale
from training.models import (
    Assignment,
    AssignmentTarget,
    KnowledgeQuiz,
    KnowledgeQuizAttempt,
    Lesson,
    LiveItem,
    LiveSetting,
    QuizResult,
)
from training.services.study import assignment_target_complete


def _picked(raw) -> list[int]:
    try:
        return sorted({int(c) for c in raw})
    except (TypeError, ValueError):
        return []


def _score(questions, answers: dict) -> tuple[int, int]:
    """Return (right, total); *answers* maps a question's pk to the chosen option indexes."""
    right = sum(1 for q in questions if _picked(answers.get(q.pk, [])) == sorted(q.correct))
    return right, len(questions)


# --- make-up by quiz ----------------------------------------------------------


def make_up_target(lesson: Lesson, member: Member) -> AssignmentTarget | None:
    """The member's open make-up task for *lesson*, if it may be done by quiz."""
    return (
        AssignmentTarget.objects.select_related("assignment", "assignment__lesson")
        .filter(
            assignment__lesson=lesson,
            assignment__kind=Assignment.Kind.MAKE_UP,
            member=member,
            status=AssignmentTarget.Status.OPEN,
        )
        .first()
    )


def make_up_pass_mark(lesson: Lesson) -> int | None:
    """The pass mark of the lesson's make-up quiz; None when it has no quiz or no pass mark."""
    mark = LiveSetting.objects.filter(lesson=lesson).values_list("make_up_pass_mark", flat=True).first()
    if mark is None or not LiveItem.objects.filter(lesson=lesson, kind=LiveItem.Kind.QUIZ).exists():
        return None
    return mark


def make_up_quiz_submit(*, lesson: Lesson, member: Member, answers: dict, now=None) -> QuizResult:
    """Mark a make-up quiz; reaching the pass mark completes the make-up as a passed note does.

    A member may try again until they pass; the best-known last attempt is kept.
    """
    now = now or timezone.now()
    pass_mark = make_up_pass_mark(lesson)
    if pass_mark is None:
        raise ValidationError(_("This lesson has no make-up quiz."), code="no_quiz")
    with transaction.atomic():
        target = make_up_target(lesson, member)
        if target is None:
            raise ValidationError(_("You have no open make-up task for this lesson."), code="no_task")
        questions = list(LiveItem.objects.filter(lesson=lesson, kind=LiveItem.Kind.QUIZ))
        right, total = _score(questions, answers)
        score = round(100 * right / total) if total else 0
        passed = score >= pass_mark
        result, _created = QuizResult.objects.update_or_create(
            lesson=lesson,
            member=member,
            source=QuizResult.Source.MAKE_UP,
            defaults={"correct": right, "total": total, "score": score, "passed": passed, "answered_at": now},
        )
        if passed:
            years = assignment_target_complete(assignment=target.assignment, member_id=member.pk, now=now)
            mark_figures_stale(years=years, members=[member.pk])
        audit_record(
            actor=member.user,
            action="make_up.quiz_passed" if passed else "make_up.quiz_failed",
            target=target.assignment,
            payload={"member": member.pk, "score": score, "pass_mark": pass_mark},
        )
    return result


# --- knowledge quizzes --------------------------------------------------------


@transaction.atomic
def knowledge_quiz_create(*, branch, title: str, opens_at, closes_at, questions, actor) -> KnowledgeQuiz:
    """Open a knowledge quiz for a branch (None: the whole bureau) from bank questions."""
    questions = list(questions)
    if not questions:
        raise ValidationError({"questions": _("Choose at least one question.")}, code="no_questions")
    quiz = KnowledgeQuiz(branch=branch, title=title.strip(), opens_at=opens_at, closes_at=closes_at)
    quiz.created_by = actor if getattr(actor, "is_authenticated", False) else None
    quiz.full_clean()
    quiz.save()
    quiz.questions.set(questions)
    audit_record(actor=actor, action="knowledge_quiz.created", target=quiz, payload={"questions": len(questions)})
    return quiz


def is_open_to(quiz: KnowledgeQuiz, member: Member) -> bool:
    """A bureau quiz is open to every member; a branch's to its members and those of the branches under it."""
    if quiz.branch_id is None:
        return True
    return quiz.branch_id in (member.branch_id, member.branch.parent_id)


def knowledge_quiz_submit(*, quiz: KnowledgeQuiz, member: Member, answers: dict, now=None) -> KnowledgeQuizAttempt:
    """Mark a member's one attempt; refused outside the quiz's period or after a first attempt."""
    now = now or timezone.now()
    if not quiz.opens_at <= now <= quiz.closes_at:
        raise ValidationError(_("This quiz is not open now."), code="closed")
    if not is_open_to(quiz, member):
        raise ValidationError(_("This quiz is not for your branch."), code="not_audience")
    questions = list(quiz.questions.all())
    right, total = _score(questions, answers)
    try:
        with transaction.atomic():
            return KnowledgeQuizAttempt.objects.create(
                quiz=quiz,
                member=member,
                branch_id=member.branch_id,
                correct=right,
                total=total,
                score=round(100 * right / total) if total else 0,
                answered_at=now,
            )
    except IntegrityError:
        raise ValidationError(_("You have already taken this quiz."), code="twice") from None
