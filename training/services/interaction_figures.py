"""The interactive-lesson figures of the ledger: one row per organising branch and year, and one for the bureau.

Definitions (a year and a lesson's month as in training.services.figures):

- lessons held: held lessons the branch organised whose local start is in
  the year; the bureau row counts every held lesson once.
- lessons held with interaction: of those, the lessons where at least one
  poll or quiz question was opened in the live session.
- possible answers (answer slots): for each opened question of those
  lessons, the members checked in (present or late) at its lesson.
- answers: answers to those questions, named or anonymous (an anonymous
  poll counts who answered, not what).
- participation rate: answers ÷ possible answers; NULL ("—") with none.
- share of lessons with interaction: with interaction ÷ held; NULL with none.
- average quiz score: the mean of the members' live quiz results (percent
  of the revealed quiz questions right) at those lessons, by organising branch.

Written by interaction_figures_recompute in the transaction in which the
ledger refreshes that year (figures_refreshed), for the branches the change
marked (every branch on a full recount), the bureau row then added up from
all branch rows: the services that change what is counted — closing a
lesson, marking attendance, revealing a quiz question at a held lesson —
mark the lesson's year and hosts (its organiser among them) stale through
mark_lesson_stale. Reconciled by recount_interaction,
which counts lesson by lesson in Python, apart from these aggregates.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from training.models import (
    Attendance,
    BranchInteractionFigures,
    Lesson,
    LiveAnswer,
    LiveItem,
    LiveParticipation,
    QuizResult,
)
from training.services.figures import year_span

CHECKED_IN = (Attendance.Status.PRESENT, Attendance.Status.LATE)
FIGURES = ("lessons_held", "lessons_interactive", "answer_slots", "answers", "quiz_results", "quiz_score_sum")


def _held(year: int):
    start, end = year_span(year)
    return Lesson.objects.filter(status=Lesson.Status.HELD, start__gte=start, start__lt=end)


def interaction_figures(year: int, organiser_ids=None) -> dict[int | None, dict[str, int]]:
    """Compute the figures of *year* by organising branch (None: the bureau) in five grouped queries.

    With *organiser_ids*, only the lessons those branches organised are counted (and the None row is theirs).
    """
    held = _held(year)
    if organiser_ids is not None:
        held = held.filter(organiser_id__in=organiser_ids)
    opened = LiveItem.objects.filter(lesson__in=held, opened_at__isnull=False)
    rows: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))

    def add(branch_id, name, value):
        rows[branch_id][name] += value or 0
        rows[None][name] += value or 0

    lessons = (
        held.annotate(interactive=Exists(opened.filter(lesson=OuterRef("pk"))))
        .values("organiser_id")
        .annotate(n=Count("pk"), i=Count("pk", filter=Q(interactive=True)))
    )
    for row in lessons.order_by():
        add(row["organiser_id"], "lessons_held", row["n"])
        add(row["organiser_id"], "lessons_interactive", row["i"])
    # Only lessons with an opened question have answer slots: count their check-ins, not the year's.
    present = dict(
        Attendance.objects.filter(lesson__in=opened.values("lesson_id"), status__in=CHECKED_IN)
        .values("lesson_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("lesson_id", "n")
    )
    for lesson_id, organiser_id, n in (
        opened.values("lesson_id", "lesson__organiser_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("lesson_id", "lesson__organiser_id", "n")
    ):
        add(organiser_id, "answer_slots", n * present.get(lesson_id, 0))
    for model in (LiveAnswer, LiveParticipation):
        for organiser_id, n in (
            model.objects.filter(item__in=opened)
            .values("item__lesson__organiser_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("item__lesson__organiser_id", "n")
        ):
            add(organiser_id, "answers", n)
    for organiser_id, n, total in (
        QuizResult.objects.filter(lesson__in=held, source=QuizResult.Source.LIVE)
        .values("lesson__organiser_id")
        .annotate(n=Count("pk"), total=Sum("score"))
        .order_by()
        .values_list("lesson__organiser_id", "n", "total")
    ):
        add(organiser_id, "quiz_results", n)
        add(organiser_id, "quiz_score_sum", total)
    if None not in rows:
        rows[None] = dict.fromkeys(FIGURES, 0)
    return dict(rows)


@transaction.atomic
def interaction_figures_recompute(year: int, branch_ids=None) -> int:
    """Rewrite the interaction rows of *year* (of the organisers *branch_ids* and the bureau's; None: all).

    Each lesson has one organiser, so the bureau row is the sum of the branch
    rows: after rewriting some of them, it is added up again from all.
    """
    now = timezone.now()
    stale = BranchInteractionFigures.objects.filter(year=year)
    if branch_ids is not None:
        stale = stale.filter(Q(branch_id__in=branch_ids) | Q(branch__isnull=True))
    stale.delete()
    figures = interaction_figures(year, branch_ids)
    rows = [
        BranchInteractionFigures(branch_id=branch_id, year=year, computed_at=now, **values)
        for branch_id, values in figures.items()
        if branch_id is not None
    ]
    BranchInteractionFigures.objects.bulk_create(rows)
    bureau = figures[None]
    if branch_ids is not None:
        sums = BranchInteractionFigures.objects.filter(year=year, branch__isnull=False).aggregate(
            **{f"sum_{name}": Sum(name) for name in FIGURES}
        )
        bureau = {name: sums[f"sum_{name}"] or 0 for name in FIGURES}
    BranchInteractionFigures.objects.create(branch=None, year=year, computed_at=now, **bureau)
    return len(rows) + 1


def figures_refreshed_receiver(sender, *, year, member_ids=None, branch_ids=None, today=None, **kwargs) -> None:
    """Keep the interaction rows in step with the rest of the ledger: the organisers the change marked."""
    interaction_figures_recompute(year, branch_ids)


def recount_interaction(year: int) -> dict[int | None, dict[str, int]]:
    """Count the same figures lesson by lesson, apart from the grouped queries above (for reconciliation).

    Each source is counted per lesson in one query (not per organiser, as
    above), and the lessons are then added up: five queries whatever the
    number of lessons.
    """
    held = dict(_held(year).values_list("pk", "organiser_id"))

    def per_lesson(queryset, lesson_field="lesson_id", **aggregates):
        return {
            row.pop(lesson_field): row
            for row in queryset.values(lesson_field).annotate(**aggregates or {"n": Count("pk")}).order_by()
        }

    items = per_lesson(LiveItem.objects.filter(lesson_id__in=held, opened_at__isnull=False))
    present = per_lesson(Attendance.objects.filter(lesson_id__in=held, status__in=CHECKED_IN))
    answers = per_lesson(
        LiveAnswer.objects.filter(item__lesson_id__in=held, item__opened_at__isnull=False), "item__lesson_id"
    )
    participations = per_lesson(
        LiveParticipation.objects.filter(item__lesson_id__in=held, item__opened_at__isnull=False), "item__lesson_id"
    )
    results = per_lesson(
        QuizResult.objects.filter(lesson_id__in=held, source="live"), n=Count("pk"), total=Sum("score")
    )
    rows: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    rows[None] = dict.fromkeys(FIGURES, 0)
    for lesson_id, organiser_id in held.items():
        opened = items.get(lesson_id, {}).get("n", 0)
        counted = {
            "lessons_held": 1,
            "lessons_interactive": 1 if opened else 0,
            "answer_slots": present.get(lesson_id, {}).get("n", 0) * opened,
            "answers": answers.get(lesson_id, {}).get("n", 0) + participations.get(lesson_id, {}).get("n", 0),
            "quiz_results": results.get(lesson_id, {}).get("n", 0),
            "quiz_score_sum": results.get(lesson_id, {}).get("total") or 0,
        }
        for key in (organiser_id, None):
            for name, value in counted.items():
                rows[key][name] += value
    return dict(rows)
