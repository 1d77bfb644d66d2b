"""Year-end rows and scores, kept in line with the figures ledger (training.services.figures).

Every indicator on a year-end row (hours, attendance, notes, assignments,
branch, role, requirement) is the ledger's figure for that member and year,
copied in the same transaction as the ledger changes; the definitions are in
training/services/figures.py. Only the score is computed here.

Score (0–100), with the scheme's weights:
  attendance rate × w_attendance
  + min(centralised ÷ required hours, 1) × w_centralised
  + min(self-study ÷ required self-study hours, 1) × w_self_study
  + min(passed notes ÷ required notes, 1) × mean grade value × w_note_quality
    (优 1, 良 0.85, 合格 0.7)
  + branch rating ÷ 100 × w_branch_rating.

A year in which the member had no lesson to attend has no attendance rate
("—"), and the attendance part is then worth 0 points, never the full
weight: a branch cannot raise its members' scores by holding no lessons.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import DecimalField

from assessments.models import AssessmentScheme, BranchAssessment, YearEndAssessment
from assessments.services.branch_figures import branch_year_refresh
from training.models import MemberYearFigures
from training.services.figures import figures_recompute_year

GRADE_VALUE = {"excellent": Decimal("1"), "good": Decimal("0.85"), "pass": Decimal("0.7")}
ZERO = Decimal("0")
HOURS = DecimalField(max_digits=8, decimal_places=1)
INDICATOR_FIELDS = [
    "branch",
    "role",
    "required_hours",
    "lessons_total",
    "lessons_attended",
    "attendance_rate",
    "centralised_hours",
    "self_study_hours",
    "online_hours",
    "total_hours",
    "notes_submitted",
    "notes_passed",
    "notes_excellent",
    "notes_good",
    "notes_pass",
    "assignments_total",
    "assignments_on_time",
    "score",
    "computed_at",
]


def scheme_for(year: int) -> AssessmentScheme:
    """Return the year's assessment scheme, creating it with the defaults."""
    scheme, _created = AssessmentScheme.objects.get_or_create(year=year)
    return scheme


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal("1")
    return min(Decimal(part) / Decimal(whole), Decimal("1"))


def score_for(row: YearEndAssessment, scheme: AssessmentScheme) -> Decimal:
    """Return the weighted score of one assessment row (see the module docstring)."""
    # No lessons to attend: no rate, and no points for it.
    attendance = Decimal(row.attendance_rate or 0) * scheme.weight_attendance
    centralised = _ratio(row.centralised_hours, row.required_hours) * scheme.weight_centralised
    self_study = _ratio(row.self_study_hours, scheme.required_self_study_hours) * scheme.weight_self_study
    if row.notes_passed:
        grade_value = (
            GRADE_VALUE["excellent"] * row.notes_excellent
            + GRADE_VALUE["good"] * row.notes_good
            + GRADE_VALUE["pass"] * row.notes_pass
        ) / row.notes_passed
    else:
        grade_value = Decimal("1") if scheme.required_notes == 0 else ZERO
    quality = _ratio(Decimal(row.notes_passed), Decimal(scheme.required_notes)) * grade_value
    quality *= scheme.weight_note_quality
    rating = Decimal(row.branch_rating or 0) / 100 * scheme.weight_branch_rating
    total = attendance + centralised + self_study + quality + rating
    return min(total, Decimal("100")).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _copy(row: YearEndAssessment, figures: MemberYearFigures) -> None:
    row.branch_id = figures.branch_id
    for name in INDICATOR_FIELDS:
        if name not in ("branch", "score", "computed_at"):
            setattr(row, name, getattr(figures, name))
    row.computed_at = figures.computed_at


@transaction.atomic
def yearend_sync(year: int, *, member_ids=None, branch_ids=(), today=None) -> int:
    """Bring the year-end rows of *member_ids* (None: everyone) in line with the figures ledger; return the count.

    Rows of members no longer assessed that year are deleted. Members of
    branches whose results leadership has confirmed are left as they are: a
    confirmed result is read-only. The branch-and-year rows of the branches
    the rows leave or join follow, and those of *branch_ids* (whose month
    rows changed).
    """
    scheme = scheme_for(year)
    locked = set(
        BranchAssessment.objects.filter(year=year, status=BranchAssessment.Status.CONFIRMED).values_list(
            "branch_id", flat=True
        )
    )
    ledger = MemberYearFigures.objects.filter(year=year).exclude(branch_id__in=locked)
    existing = YearEndAssessment.objects.filter(year=year).exclude(branch_id__in=locked)
    if member_ids is not None:
        ledger, existing = ledger.filter(member_id__in=member_ids), existing.filter(member_id__in=member_ids)
    rows_by_member = {row.member_id: row for row in existing}
    touched = {row.branch_id for row in rows_by_member.values()} | set(branch_ids or ())
    rows = []
    for figures in ledger:
        row = rows_by_member.pop(figures.member_id, None) or YearEndAssessment(member_id=figures.member_id, year=year)
        _copy(row, figures)
        row.score = score_for(row, scheme)
        rows.append(row)
    YearEndAssessment.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["member", "year"], update_fields=INDICATOR_FIELDS, batch_size=1000
    )
    YearEndAssessment.objects.filter(pk__in=[row.pk for row in rows_by_member.values()]).delete()
    everything = member_ids is None or branch_ids is None
    branch_year_refresh(year, branch_ids=None if everything else touched | {row.branch_id for row in rows})
    return len(rows)


def figures_refreshed_receiver(sender, *, year, member_ids, branch_ids=None, today=None, **kwargs) -> None:
    """Signal receiver: the figures ledger changed, so the year-end rows and scores follow in the same transaction."""
    yearend_sync(year, member_ids=member_ids, branch_ids=branch_ids, today=today)


def indicators_recompute(year: int, *, today=None) -> int:
    """Recompute every figure of *year* from the records (the ledger, then the year-end rows); return the count."""
    return figures_recompute_year(year, today=today)
