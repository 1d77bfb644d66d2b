"""Year-end indicators for every member, computed in bulk with SQL aggregation.

Definitions (a year is a calendar year in Asia/Shanghai):

- Assessed members: full and probationary members with a membership that
  overlaps the year; their branch is the one they belonged to at the end of
  the year (or today, for the current year).
- Lessons in the audience: the member's attendance rows at lessons held in
  the year. A joint lesson is one lesson and one row, so it counts once.
- Lessons attended: rows marked present or late, and rows on leave whose
  make-up study (补学) for that lesson is done.
- Attendance rate: attended ÷ in the audience (1 when there were none).
- Centralised hours: credit hours of held lessons attended present or late.
- Self-study hours: hours of passed notes with a study date in the year.
- Online hours: imported online-study hours dated in the year.
- Total hours: the three added; the requirement is the year's study
  requirement for the member's role (committee posts on the last day: 56 by
  default; otherwise 32). Hours count in the year they were earned.
- Notes submitted: notes dated in the year that were ever sent for review
  (submitted, returned or passed); passed notes by grade.
- Assignments: assignments due in the year; on time when completed on or
  before the due date.
- Score (0–100), with the scheme's weights:
  attendance rate × w_attendance
  + min(centralised ÷ required hours, 1) × w_centralised
  + min(self-study ÷ required self-study hours, 1) × w_self_study
  + min(passed notes ÷ required notes, 1) × mean grade value × w_note_quality
    (优 1, 良 0.85, 合格 0.7)
  + branch rating ÷ 100 × w_branch_rating.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import AssessmentScheme, BranchAssessment, YearEndAssessment
from members.models import Member, Membership, Post
from training.models import AssignmentTarget, Attendance, OnlineStudyRecord, StudyNote
from training.rules import study_requirement_for

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


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def reference_day(year: int, today: datetime.date | None = None) -> datetime.date:
    """The day whose branch and posts count: the last day of the year, or today if earlier."""
    today = today or timezone.localdate()
    return min(datetime.date(year, 12, 31), max(today, datetime.date(year, 1, 1)))


def assessed_members(year: int, *, on: datetime.date, branch_ids=None):
    """Return active members with a membership in the year, annotated with their branch on *on*."""
    first, last = year_bounds(year)
    in_year = Membership.objects.filter(member=OuterRef("pk"), start_on__lte=last).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=first)
    )
    at_day = in_year.filter(start_on__lte=on).order_by("-start_on", "-pk").values("branch_id")[:1]
    members = Member.objects.active().filter(Exists(in_year)).annotate(year_branch_id=Subquery(at_day))
    if branch_ids is not None:
        members = members.filter(year_branch_id__in=branch_ids)
    return members


def _made_up():
    return Exists(
        AssignmentTarget.objects.filter(
            assignment__lesson=OuterRef("lesson"),
            assignment__kind="make_up",
            member=OuterRef("member"),
            status="done",
        )
    )


def attended_condition() -> Q:
    """Present or late; or on leave with the make-up study done (needs the `made_up` annotation)."""
    return Q(status__in=["present", "late"]) | Q(status="leave", made_up=True)


def held_attendance(year: int):
    """Attendance rows at lessons held in *year*, each with `made_up`."""
    return Attendance.objects.filter(lesson__status="held", lesson__start__year=year).annotate(made_up=_made_up())


def _by_member(queryset, **aggregates) -> dict[int, dict]:
    return {row.pop("member_id"): row for row in queryset.values("member_id").annotate(**aggregates)}


@dataclass
class Indicators:
    lessons_total: int = 0
    lessons_attended: int = 0
    centralised_hours: Decimal = ZERO
    self_study_hours: Decimal = ZERO
    online_hours: Decimal = ZERO
    notes_submitted: int = 0
    notes_passed: int = 0
    notes_excellent: int = 0
    notes_good: int = 0
    notes_pass: int = 0
    assignments_total: int = 0
    assignments_on_time: int = 0


def member_indicators(year: int, members) -> dict[int, Indicators]:
    """Aggregate every source for the *members* queryset in four grouped queries."""
    ids = members.values("pk")
    hours = Coalesce(
        Sum("lesson__credit_hours", filter=Q(status__in=["present", "late"])), Value(ZERO), output_field=HOURS
    )
    attendance = _by_member(
        held_attendance(year).filter(member_id__in=ids),
        total=Count("pk"),
        attended=Count("pk", filter=attended_condition()),
        hours=hours,
    )
    notes = _by_member(
        StudyNote.objects.filter(member_id__in=ids, study_date__year=year),
        submitted=Count("pk", filter=Q(status__in=["submitted", "returned", "passed"])),
        passed=Count("pk", filter=Q(status="passed")),
        excellent=Count("pk", filter=Q(status="passed", grade="excellent")),
        good=Count("pk", filter=Q(status="passed", grade="good")),
        passing=Count("pk", filter=Q(status="passed", grade="pass")),
        hours=Coalesce(Sum("hours", filter=Q(status="passed")), Value(ZERO), output_field=HOURS),
    )
    online = _by_member(
        OnlineStudyRecord.objects.filter(member_id__in=ids, study_date__year=year),
        hours=Coalesce(Sum("hours"), Value(ZERO), output_field=HOURS),
    )
    assignments = _by_member(
        AssignmentTarget.objects.filter(member_id__in=ids, assignment__due_on__year=year),
        total=Count("pk"),
        on_time=Count("pk", filter=Q(status="done", completed_at__date__lte=F("assignment__due_on"))),
    )
    result = {}
    for member_id in members.values_list("pk", flat=True):
        a, n = attendance.get(member_id, {}), notes.get(member_id, {})
        o, s = online.get(member_id, {}), assignments.get(member_id, {})
        result[member_id] = Indicators(
            lessons_total=a.get("total", 0),
            lessons_attended=a.get("attended", 0),
            centralised_hours=a.get("hours", ZERO),
            self_study_hours=n.get("hours", ZERO),
            online_hours=o.get("hours", ZERO),
            notes_submitted=n.get("submitted", 0),
            notes_passed=n.get("passed", 0),
            notes_excellent=n.get("excellent", 0),
            notes_good=n.get("good", 0),
            notes_pass=n.get("passing", 0),
            assignments_total=s.get("total", 0),
            assignments_on_time=s.get("on_time", 0),
        )
    return result


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal("1")
    return min(Decimal(part) / Decimal(whole), Decimal("1"))


def score_for(row: YearEndAssessment, scheme: AssessmentScheme) -> Decimal:
    """Return the weighted score of one assessment row (see the module docstring)."""
    attendance = Decimal(row.attendance_rate) * scheme.weight_attendance
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


@transaction.atomic
def indicators_recompute(year: int, *, branch_ids=None, today=None) -> int:
    """Recompute and store every assessed member's indicators and score for *year*; return the count.

    Members of branches whose results leadership has confirmed are left as
    they are: a confirmed result is read-only.
    """
    on = reference_day(year, today)
    now = timezone.now()
    scheme = scheme_for(year)
    requirement = study_requirement_for(year)
    locked = set(
        BranchAssessment.objects.filter(year=year, status=BranchAssessment.Status.CONFIRMED).values_list(
            "branch_id", flat=True
        )
    )
    population = assessed_members(year, on=on, branch_ids=branch_ids).exclude(year_branch_id__in=locked)
    members = dict(population.values_list("pk", "year_branch_id"))
    ids = population.values("pk")
    committee = set(Post.objects.current(on).committee().filter(member_id__in=ids).values_list("member_id", flat=True))
    existing = {a.member_id: a for a in YearEndAssessment.objects.filter(year=year, member_id__in=ids)}
    figures = member_indicators(year, population)
    rows = []
    for member_id, branch_id in members.items():
        row = existing.get(member_id) or YearEndAssessment(member_id=member_id, year=year)
        ind = figures[member_id]
        row.branch_id = branch_id
        row.role = "committee" if member_id in committee else "member"
        row.required_hours = requirement.committee_hours if member_id in committee else requirement.member_hours
        for name, value in vars(ind).items():
            setattr(row, name, value)
        row.attendance_rate = (
            (Decimal(ind.lessons_attended) / ind.lessons_total).quantize(Decimal("0.0001"))
            if ind.lessons_total
            else Decimal("1")
        )
        row.total_hours = ind.centralised_hours + ind.self_study_hours + ind.online_hours
        row.score = score_for(row, scheme)
        row.computed_at = now
        rows.append(row)
    YearEndAssessment.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["member", "year"],
        update_fields=INDICATOR_FIELDS,
        batch_size=1000,
    )
    return len(rows)
