"""Write side of the live session: polls and quiz questions, answers, the question wall, quiz results.

Concurrency: an answer inserts its row first and reads the question's
status afterwards. The insert's foreign-key check holds a KEY SHARE lock on
the question row, which the closing UPDATE (SELECT … FOR UPDATE) waits for;
so an answer either commits before the close or sees the question closed.
A second answer by the same member hits a unique constraint.
"""

import datetime
import time

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from members.models import Member
from training.models import (
    Attendance,
    Lesson,
    LiveAnswer,
    LiveItem,
    LiveParticipation,
    LiveSetting,
    LiveTally,
    Question,
    QuestionVote,
    QuizResult,
)
from training.services.figures import mark_lesson_stale

CHECKED_IN = (Attendance.Status.PRESENT, Attendance.Status.LATE)
MAX_OPTIONS = 6
CACHE_SECONDS = 6 * 60 * 60


class AnswerRefused(Exception):
    """An answer the member cannot give: not checked in, closed, or already answered."""


# --- the cached state version ---------------------------------------------


def version_key(lesson_id: int, area: str) -> str:
    return f"live:{area}:{lesson_id}"


def live_touch(lesson_id: int, *areas: str) -> None:
    """Give the lesson's live *areas* ("items", "wall") a new version once the transaction commits.

    Phones poll the version (a cache read) and fetch the page only when it changed.
    """

    def bump():
        stamp = time.time_ns()
        cache.set_many({version_key(lesson_id, area): stamp for area in areas}, CACHE_SECONDS)

    transaction.on_commit(bump)


# --- questions of the session ---------------------------------------------


def _clean_options(kind: str, options: list[str], correct: list[int], multiple: bool) -> tuple[list[str], list[int]]:
    options = [o.strip() for o in options if o and o.strip()]
    if len(options) < 2:
        raise ValidationError({"options": _("Give at least two options.")}, code="few_options")
    if len(options) > MAX_OPTIONS:
        raise ValidationError({"options": _("Give at most six options.")}, code="many_options")
    if len(set(options)) != len(options):
        raise ValidationError({"options": _("Two options are the same.")}, code="same_options")
    correct = sorted({int(c) for c in correct})
    if kind == LiveItem.Kind.QUIZ:
        if not correct or any(c < 0 or c >= len(options) for c in correct):
            raise ValidationError({"correct": _("Mark the correct answer among the options.")}, code="no_correct")
        if len(correct) > 1 and not multiple:
            raise ValidationError({"correct": _("A single-choice question has one correct answer.")}, code="one")
    else:
        correct = []
    return options, correct


@transaction.atomic
def live_item_create(
    *,
    lesson: Lesson,
    kind: str,
    text: str,
    options: list[str],
    correct: list[int] = (),
    explanation: str = "",
    multiple: bool = False,
    anonymous: bool = False,
    allow_change: bool = False,
    time_limit: int | None = None,
    bank_question=None,
    actor,
) -> LiveItem:
    """Add a poll or quiz question to a lesson, last in its order."""
    if not text.strip():
        raise ValidationError({"text": _("Write the question.")}, code="no_text")
    options, correct = _clean_options(kind, list(options), list(correct), multiple)
    if kind == LiveItem.Kind.QUIZ:
        # Marked per member and answered once.
        anonymous = allow_change = False
    if anonymous:
        # Nothing links an anonymous answer to its member, so it cannot be replaced.
        allow_change = False
    last = LiveItem.objects.filter(lesson=lesson).order_by("-position").values_list("position", flat=True).first()
    item = LiveItem(
        lesson=lesson,
        kind=kind,
        text=text.strip(),
        options=options,
        correct=correct,
        explanation=explanation.strip(),
        multiple=multiple,
        anonymous=anonymous,
        allow_change=allow_change,
        time_limit=time_limit or None,
        bank_question=bank_question,
        position=(last or 0) + 1,
    )
    item.full_clean()
    item.save()
    if anonymous:
        LiveTally.objects.bulk_create([LiveTally(item=item, option=i) for i in range(len(options))])
    audit_record(actor=actor, action="live.item_created", target=item, payload={"kind": kind})
    live_touch(lesson.pk, "items")
    return item


def _set_status(item: LiveItem, allowed: tuple[str, ...], status: str, actor, **fields) -> LiveItem:
    with transaction.atomic():
        # FOR UPDATE (not NO KEY UPDATE): it waits for answers being inserted.
        locked = LiveItem.objects.select_for_update().get(pk=item.pk)
        if locked.status not in allowed:
            raise ValidationError(_("This question cannot be changed that way now."), code="bad_status")
        locked.status = status
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        audit_record(actor=actor, action=f"live.item_{status}", target=locked)
        if status == LiveItem.Status.REVEALED and locked.is_quiz:
            quiz_results_recount(lesson=locked.lesson)
            if locked.lesson.status == Lesson.Status.HELD:
                # Quiz results of a held lesson are counted in the ledger.
                mark_lesson_stale(locked.lesson, member_ids=[])
        live_touch(locked.lesson_id, "items")
    return locked


def live_item_open(*, item: LiveItem, actor, now=None) -> LiveItem:
    """Open a question for answers; other open questions of the lesson close."""
    now = now or timezone.now()
    with transaction.atomic():
        for other in LiveItem.objects.filter(lesson_id=item.lesson_id, status=LiveItem.Status.OPEN).exclude(pk=item.pk):
            _set_status(other, (LiveItem.Status.OPEN,), LiveItem.Status.CLOSED, actor, closed_at=now)
        return _set_status(
            item, (LiveItem.Status.DRAFT, LiveItem.Status.CLOSED), LiveItem.Status.OPEN, actor, opened_at=now
        )


def live_item_close(*, item: LiveItem, actor, now=None) -> LiveItem:
    """Close a question: later answers are refused."""
    return _set_status(item, (LiveItem.Status.OPEN,), LiveItem.Status.CLOSED, actor, closed_at=now or timezone.now())


def live_item_reveal(*, item: LiveItem, actor, now=None) -> LiveItem:
    """Show the results (and for a quiz the correct answer); closes the question if it is open."""
    now = now or timezone.now()
    if item.status == LiveItem.Status.OPEN:
        item = live_item_close(item=item, actor=actor, now=now)
    return _set_status(item, (LiveItem.Status.CLOSED,), LiveItem.Status.REVEALED, actor)


def is_expired(item: LiveItem, now: datetime.datetime) -> bool:
    """A timed question stops taking answers when its time is up."""
    return bool(
        item.time_limit and item.opened_at and now > item.opened_at + datetime.timedelta(seconds=item.time_limit)
    )


def is_checked_in(lesson_id: int, member: Member) -> bool:
    return Attendance.objects.filter(lesson_id=lesson_id, member=member, status__in=CHECKED_IN).exists()


def _check_choices(item: LiveItem, choices) -> list[int]:
    try:
        picked = sorted({int(c) for c in choices})
    except (TypeError, ValueError):
        raise AnswerRefused(_("Choose an answer.")) from None
    if not picked or any(c < 0 or c >= len(item.options) for c in picked):
        raise AnswerRefused(_("Choose an answer."))
    if len(picked) > 1 and not item.multiple:
        raise AnswerRefused(_("Choose one answer."))
    return picked


def live_answer_submit(*, item: LiveItem, member: Member, choices, now=None) -> LiveAnswer | None:
    """Record *member*'s answer; refused when not checked in, closed, or already given.

    A named poll that allows changes replaces the earlier answer. An anonymous
    poll adds to the option counts and records only that the member answered;
    it returns None.
    """
    now = now or timezone.now()
    picked = _check_choices(item, choices)
    if not is_checked_in(item.lesson_id, member):
        raise AnswerRefused(_("Check in at the lesson first."))
    try:
        with transaction.atomic():
            answer = None
            if item.anonymous:
                LiveParticipation.objects.create(item=item, member=member)
            elif item.allow_change:
                LiveAnswer.objects.bulk_create(
                    [LiveAnswer(item=item, member=member, choices=picked, answered_at=now)],
                    update_conflicts=True,
                    unique_fields=["item", "member"],
                    update_fields=["choices", "answered_at"],
                )
            else:
                is_correct = picked == sorted(item.correct) if item.is_quiz else None
                answer = LiveAnswer.objects.create(
                    item=item, member=member, choices=picked, is_correct=is_correct, answered_at=now
                )
            # Read the status after the insert: see the module docstring.
            current = LiveItem.objects.values("status", "opened_at", "time_limit").get(pk=item.pk)
            fresh = LiveItem(status=current["status"], opened_at=current["opened_at"], time_limit=current["time_limit"])
            if fresh.status != LiveItem.Status.OPEN or is_expired(fresh, now):
                raise AnswerRefused(_("This question is closed."))
            if item.anonymous:
                # Every option's row is rewritten, chosen or not: the rows'
                # system columns (xmin) name the last transaction for all of
                # them alike, so they cannot be joined to a participation.
                LiveTally.objects.filter(item=item).update(
                    count=F("count") + Case(When(option__in=picked, then=Value(1)), default=Value(0))
                )
    except IntegrityError:
        raise AnswerRefused(_("You have already answered this question.")) from None
    return answer


# --- quiz results ---------------------------------------------------------


def _percent(correct: int, total: int) -> int:
    return round(100 * correct / total) if total else 0


def quiz_results_recount(*, lesson: Lesson) -> int:
    """Recompute every member's live quiz result over the lesson's revealed quiz questions."""
    revealed = list(
        LiveItem.objects.filter(lesson=lesson, kind=LiveItem.Kind.QUIZ, status=LiveItem.Status.REVEALED).values_list(
            "pk", flat=True
        )
    )
    total = len(revealed)
    by_member: dict[int, list] = {}
    for member_id, is_correct, answered_at in LiveAnswer.objects.filter(item_id__in=revealed).values_list(
        "member_id", "is_correct", "answered_at"
    ):
        row = by_member.setdefault(member_id, [0, answered_at])
        row[0] += 1 if is_correct else 0
        row[1] = max(row[1], answered_at)
    rows = [
        QuizResult(
            lesson=lesson,
            member_id=member_id,
            source=QuizResult.Source.LIVE,
            correct=correct,
            total=total,
            score=_percent(correct, total),
            answered_at=answered_at,
        )
        for member_id, (correct, answered_at) in by_member.items()
    ]
    QuizResult.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["lesson", "member", "source"],
        update_fields=["correct", "total", "score", "answered_at"],
    )
    return len(rows)


@transaction.atomic
def live_pass_mark_set(*, lesson: Lesson, pass_mark: int | None, actor) -> LiveSetting:
    """Set the score (percent) a make-up quiz must reach; None: make-up by a note only."""
    if pass_mark is not None and not 0 < pass_mark <= 100:
        raise ValidationError({"make_up_pass_mark": _("Give a pass mark between 1 and 100.")}, code="pass_mark")
    setting, _created = LiveSetting.objects.update_or_create(lesson=lesson, defaults={"make_up_pass_mark": pass_mark})
    audit_record(actor=actor, action="live.pass_mark_set", target=lesson, payload={"pass_mark": pass_mark})
    return setting


# --- the question wall ----------------------------------------------------


def wall_question_post(*, lesson: Lesson, member: Member, text: str, anonymous: bool) -> Question:
    """Post a question on the wall; anonymous hides the name from the audience, not from the organiser."""
    if not is_checked_in(lesson.pk, member):
        raise AnswerRefused(_("Check in at the lesson first."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Please write your question.")})
    question = Question.objects.create(
        lesson=lesson, member=member, text=text[:2000], is_anonymous=anonymous, on_wall=True
    )
    live_touch(lesson.pk, "wall")
    return question


def wall_question_upvote(*, question: Question, member: Member) -> bool:
    """Upvote a question once; return False when the member had already voted."""
    if question.member_id == member.pk:
        raise AnswerRefused(_("You cannot upvote your own question."))
    if not is_checked_in(question.lesson_id, member):
        raise AnswerRefused(_("Check in at the lesson first."))
    try:
        with transaction.atomic():
            QuestionVote.objects.create(question=question, member=member)
            Question.objects.filter(pk=question.pk).update(upvotes=F("upvotes") + 1)
    except IntegrityError:
        return False
    live_touch(question.lesson_id, "wall")
    return True


MODERATION = {
    "hide": {"is_hidden": True},
    "show": {"is_hidden": False},
    "pin": {"is_pinned": True},
    "unpin": {"is_pinned": False},
    "answered": {"answered_live": True},
    "unanswered": {"answered_live": False},
}


@transaction.atomic
def wall_question_moderate(*, question: Question, action: str, actor) -> Question:
    """Hide, show, pin, unpin or mark answered a question on the wall."""
    if action not in MODERATION:
        raise ValidationError(_("Unknown action."), code="action")
    for name, value in MODERATION[action].items():
        setattr(question, name, value)
    question.save(update_fields=list(MODERATION[action]))
    audit_record(actor=actor, action=f"live.question_{action}", target=question)
    live_touch(question.lesson_id, "wall")
    return question
