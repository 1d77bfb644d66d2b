"""Read side of the live session: the state phones poll, counts for the projector, results for the lesson page."""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Avg, Case, Count, F, FloatField, Value, When, Window
from django.db.models.functions import Cast

from members.models import Member
from training.models import (
    OPTION_LETTERS,
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
from training.services.live import CACHE_SECONDS, CHECKED_IN, version_key


def live_version(lesson_id: int, area: str) -> int:
    """Return the version of the lesson's live *area*; one cache read, set on a miss."""
    key = version_key(lesson_id, area)
    value = cache.get(key)
    if value is None:
        value = 1
        cache.add(key, value, CACHE_SECONDS)
    return value


def present_count(lesson: Lesson) -> int:
    """Members checked in (present or late)."""
    return Attendance.objects.filter(lesson=lesson, status__in=CHECKED_IN).count()


@dataclass
class ItemResult:
    item: LiveItem
    counts: list[int]
    answered: int
    correct: int = 0
    rows: list[dict] = field(default_factory=list)

    @property
    def correct_percent(self) -> int | None:
        return round(100 * self.correct / self.answered) if self.item.is_quiz and self.answered else None


def item_result(item: LiveItem) -> ItemResult:
    """Count the answers of one question by option, in two queries at most."""
    counts = [0] * len(item.options)
    correct = 0
    if item.anonymous:
        for option, count in LiveTally.objects.filter(item=item).values_list("option", "count"):
            if option < len(counts):
                counts[option] = count
        answered = LiveParticipation.objects.filter(item=item).count()
    else:
        answered = 0
        for choices, is_correct in LiveAnswer.objects.filter(item=item).values_list("choices", "is_correct"):
            answered += 1
            correct += 1 if is_correct else 0
            for c in choices:
                if 0 <= c < len(counts):
                    counts[c] += 1
    rows = [
        {"letter": OPTION_LETTERS[i], "text": text, "count": counts[i], "correct": i in item.correct}
        for i, text in enumerate(item.options)
    ]
    return ItemResult(item=item, counts=counts, answered=answered, correct=correct, rows=rows)


def live_items(lesson: Lesson) -> list[LiveItem]:
    return list(LiveItem.objects.filter(lesson=lesson))


def current_item(lesson_id: int) -> LiveItem | None:
    """The open question, else the one most recently opened (its results may be on show)."""
    items = LiveItem.objects.filter(lesson_id=lesson_id).exclude(status=LiveItem.Status.DRAFT)
    return items.filter(status=LiveItem.Status.OPEN).first() or items.order_by("-opened_at", "-pk").first()


@dataclass
class MemberItemState:
    item: LiveItem | None
    answered: bool = False
    choices: list[int] = field(default_factory=list)
    is_correct: bool | None = None
    result: ItemResult | None = None


def member_item_state(lesson_id: int, member: Member) -> MemberItemState:
    """What a member's phone shows: the current question, their answer, and the results once revealed."""
    item = current_item(lesson_id)
    if item is None:
        return MemberItemState(item=None)
    state = MemberItemState(item=item)
    if item.anonymous:
        state.answered = LiveParticipation.objects.filter(item=item, member=member).exists()
    else:
        answer = LiveAnswer.objects.filter(item=item, member=member).first()
        if answer is not None:
            state.answered, state.choices, state.is_correct = True, answer.choices, answer.is_correct
    if item.status == LiveItem.Status.REVEALED:
        state.result = item_result(item)
    return state


def wall_questions(lesson: Lesson, *, include_hidden: bool = False, limit: int | None = None) -> list[Question]:
    """Questions on the wall: pinned first, then by upvotes, then oldest first."""
    qs = Question.objects.filter(lesson=lesson, on_wall=True).select_related("member")
    if not include_hidden:
        qs = qs.filter(is_hidden=False)
    qs = qs.order_by("-is_pinned", "answered_live", "-upvotes", "created_at", "pk")
    return list(qs[:limit] if limit else qs)


def voted_question_ids(lesson: Lesson, member: Member) -> set[int]:
    return set(
        QuestionVote.objects.filter(question__lesson=lesson, member=member).values_list("question_id", flat=True)
    )


@dataclass
class LessonLiveSummary:
    results: list[ItemResult]
    present: int
    quiz_results: int = 0
    quiz_average: float | None = None
    my_result: QuizResult | None = None
    wall: list[Question] = field(default_factory=list)
    pass_mark: int | None = None

    @property
    def participation_percent(self) -> int | None:
        """Answers ÷ (questions opened × present)."""
        opened = [r for r in self.results if r.item.opened_at]
        if not opened or not self.present:
            return None
        return round(100 * sum(r.answered for r in opened) / (len(opened) * self.present))

    @property
    def has_interaction(self) -> bool:
        return any(r.item.opened_at for r in self.results) or bool(self.wall)


def lesson_live_summary(lesson: Lesson, *, member: Member | None = None) -> LessonLiveSummary:
    """Everything the lesson page and its PDF show of the live session."""
    results = [item_result(item) for item in LiveItem.objects.filter(lesson=lesson).exclude(status="draft")]
    summary = LessonLiveSummary(results=results, present=present_count(lesson))
    live = QuizResult.objects.filter(lesson=lesson, source=QuizResult.Source.LIVE).aggregate(
        n=Count("pk"), avg=Avg("score")
    )
    summary.quiz_results, summary.quiz_average = live["n"], live["avg"]
    if member is not None:
        summary.my_result = QuizResult.objects.filter(lesson=lesson, member=member, source="live").first()
    summary.wall = wall_questions(lesson)
    summary.pass_mark = LiveSetting.objects.filter(lesson=lesson).values_list("make_up_pass_mark", flat=True).first()
    return summary


def quiz_results_for_lesson(lesson: Lesson) -> list[QuizResult]:
    return list(
        QuizResult.objects.filter(lesson=lesson)
        .select_related("member")
        .order_by("source", "-score", "member__full_name")
    )


def lessons_with_quiz(lesson_ids) -> set[int]:
    return set(
        LiveItem.objects.filter(lesson_id__in=lesson_ids, kind=LiveItem.Kind.QUIZ)
        .values_list("lesson_id", flat=True)
        .distinct()
    )


def interaction_figures_for_year(year: int, *, limit: int | None = None) -> dict:
    """The ledger's interaction rows of *year*: the bureau's, and the organising branches' most interactive first
    (share of lessons held with interaction, then name), the first *limit* of them; two queries at any size."""
    from training.models import BranchInteractionFigures

    rows = BranchInteractionFigures.objects.filter(year=year)
    share = Case(
        When(lessons_held=0, then=Value(0.0)),
        default=Cast("lessons_interactive", FloatField()) / F("lessons_held"),
        output_field=FloatField(),
    )
    branches = (
        rows.filter(branch__isnull=False)
        .select_related("branch")
        .alias(share=share)
        .annotate(branch_count=Window(Count("pk")))  # every branch's row, counted before the limit
        .order_by("-share", "branch__name")
    )
    shown = list(branches if limit is None else branches[:limit])
    return {
        "bureau": rows.filter(branch__isnull=True).first(),
        "branches": shown,
        "branch_count": shown[0].branch_count if shown else 0,
    }
