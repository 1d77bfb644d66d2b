"""The one writer of the branch-and-year rows (assessments.models.BranchYearFigures).

A branch's row of a year adds up, in SQL:
- its year-end rows (assessments.services.indicators): members, total hours,
  members at or above a quarter, half, three quarters and all of their hour
  requirement (total ≥ required × share), notes submitted and passed, the sum
  of scores, the democratic-evaluation outcomes (none given: not evaluated)
  and the latest time the indicators were computed;
- its month rows of the ledger (training.services.figures): lessons held,
  attendance rows, attended, notes reviewed;
- its study plan of the year: lessons planned (the plan's items) and plan
  items done (items with at least one held lesson linked, whatever its date).

Rewritten in the transaction that changes what it sums: after the year-end
rows follow the ledger (figures_refreshed; a plan item saved or deleted
anywhere, and a lesson held, cancelled or moved to another plan item, mark
the plan's branch and year stale) and after a branch's verdicts are saved.
A branch with none of these has no row.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils.translation import gettext as _

from assessments.models import BranchYearFigures, YearEndAssessment
from assessments.models.figures import EVALUATION_FIELDS, HOUR_SHARES
from training.models import BranchMonthFigures, Lesson, StudyPlanItem

MONTH_SUMS = ["lessons_held", "attendance_rows", "attended", "notes_reviewed"]
PLAN_COUNTS = ["lessons_planned", "plan_done"]
FIGURES = [
    "members",
    "total_hours",
    *[name for name, _share in HOUR_SHARES],
    "notes_submitted",
    "notes_passed",
    "score_sum",
    *EVALUATION_FIELDS.values(),
    "computed_at",
    *MONTH_SUMS,
    *PLAN_COUNTS,
]


def branch_year_figures(year: int, branch_ids=None) -> dict[int, dict]:
    """Compute (not save) branch id → figures of *year* for *branch_ids* (None: every branch); three queries."""
    assessments = YearEndAssessment.objects.filter(year=year)
    months = BranchMonthFigures.objects.filter(year=year, branch__isnull=False)
    items = StudyPlanItem.objects.filter(plan__year=year)
    if branch_ids is not None:
        assessments, months = assessments.filter(branch_id__in=branch_ids), months.filter(branch_id__in=branch_ids)
        items = items.filter(plan__branch_id__in=branch_ids)
    reaching = {name: Count("pk", filter=Q(total_hours__gte=F("required_hours") * at)) for name, at in HOUR_SHARES}
    figures: dict[int, dict] = {}
    for row in (
        assessments.values("branch_id")
        .annotate(
            # Other names than the fields': a filter on total_hours must read the row's, not the sum.
            n_members=Count("pk"),
            sum_hours=Sum("total_hours"),
            sum_submitted=Sum("notes_submitted"),
            sum_passed=Sum("notes_passed"),
            sum_score=Sum("score"),
            last_computed=Max("computed_at"),
            **reaching,
            **{name: Count("pk", filter=Q(evaluation=value)) for value, name in EVALUATION_FIELDS.items()},
        )
        .order_by()
    ):
        branch_id = row.pop("branch_id")
        figures[branch_id] = {
            "members": row.pop("n_members"),
            "total_hours": row.pop("sum_hours"),
            "notes_submitted": row.pop("sum_submitted"),
            "notes_passed": row.pop("sum_passed"),
            "score_sum": row.pop("sum_score"),
            "computed_at": row.pop("last_computed"),
            **row,
        }
    for row in months.values("branch_id").annotate(**{f"sum_{name}": Sum(name) for name in MONTH_SUMS}).order_by():
        figures.setdefault(row["branch_id"], {}).update({name: row[f"sum_{name}"] for name in MONTH_SUMS})
    for row in (
        items.values("plan__branch_id")
        .annotate(
            # An item with several lessons is one item: distinct, as the join to lessons repeats it.
            planned=Count("pk", distinct=True),
            done=Count("pk", distinct=True, filter=Q(lessons__status=Lesson.Status.HELD)),
        )
        .order_by()
    ):
        figures.setdefault(row["plan__branch_id"], {}).update(lessons_planned=row["planned"], plan_done=row["done"])
    return figures


@transaction.atomic
def branch_year_refresh(year: int, *, branch_ids=None) -> int:
    """Rewrite the rows of *year* for *branch_ids* (None: every branch); return how many rows were written."""
    stale = BranchYearFigures.objects.filter(year=year)
    if branch_ids is not None:
        branch_ids = set(branch_ids)
        stale = stale.filter(branch_id__in=branch_ids)
    stale.delete()
    rows = [
        BranchYearFigures(branch_id=branch_id, year=year, **{k: v for k, v in figures.items() if v is not None})
        for branch_id, figures in branch_year_figures(year, branch_ids).items()
    ]
    BranchYearFigures.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def recount_branch_years(year: int) -> dict[int, dict]:
    """The same figures added up row by row in Python, apart from the grouped queries above (for reconciliation)."""
    figures: dict[int, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0) | {"computed_at": None})
    fields = ("branch_id", "total_hours", "required_hours", "notes_submitted", "notes_passed", "score", "evaluation")
    for branch_id, hours, required, submitted, passed, score, evaluation, computed_at in (
        YearEndAssessment.objects.filter(year=year).values_list(*fields, "computed_at").iterator(chunk_size=5000)
    ):
        row = figures[branch_id]
        row["members"] += 1
        row["total_hours"] += hours
        row["notes_submitted"] += submitted
        row["notes_passed"] += passed
        row["score_sum"] += score
        row[EVALUATION_FIELDS[evaluation]] += 1
        for name, share in HOUR_SHARES:
            row[name] += hours >= required * share
        if computed_at and (row["computed_at"] is None or computed_at > row["computed_at"]):
            row["computed_at"] = computed_at
    for month in BranchMonthFigures.objects.filter(year=year, branch__isnull=False).values("branch_id", *MONTH_SUMS):
        row = figures[month.pop("branch_id")]
        for name, value in month.items():
            row[name] += value
    held_lessons = Lesson.objects.filter(status=Lesson.Status.HELD, plan_item__plan__year=year)
    held = set(held_lessons.values_list("plan_item_id", flat=True))
    for item_id, branch_id in StudyPlanItem.objects.filter(plan__year=year).values_list("pk", "plan__branch_id"):
        figures[branch_id]["lessons_planned"] += 1
        figures[branch_id]["plan_done"] += item_id in held
    return dict(figures)


def branch_year_differences(year: int) -> list[tuple[str, str, object, object]]:
    """(figure, scope, stored, recounted) for every stored branch-and-year figure that differs from a recount."""
    recounted = recount_branch_years(year)
    stored = {row.branch_id: row for row in BranchYearFigures.objects.filter(year=year)}
    differences = []
    for branch_id in sorted(set(recounted) | set(stored)):
        scope = _("branch %(branch)s, year %(year)s") % {"branch": branch_id, "year": year}
        row, fresh = stored.get(branch_id), recounted.get(branch_id, {})
        for name in FIGURES:
            value = getattr(row, name) if row else None
            expected = fresh.get(name)
            if name != "computed_at":
                value, expected = value or 0, expected or 0
            if value != expected:
                differences.append((name, scope, value, expected))
    return differences


def reconcile_receiver(sender, *, year, **kwargs) -> list[tuple[str, str, object, object]]:
    """Signal receiver: reconciliation asks every app with stored figures for its differences."""
    return branch_year_differences(year)
