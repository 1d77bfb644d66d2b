"""Reconciliation: every stored figure recomputed from the raw records, independently of the ledger's writer.

The queries here are written afresh (one grouped aggregate per figure and
scope, no month-by-month detour, nothing shared with figures.py but the
membership-on-the-day rule), so a mistake in the incremental path shows up
as a difference instead of being repeated. `reconcile_figures` reports each
difference; with fix=True it recomputes the year through the ledger.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth, TruncDate
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Member, Post
from members.permissions import LEADERSHIP_GROUP
from members.selectors.memberships import branch_on, memberships_on
from members.services.notifications import Message, notify_many
from training.models import (
    AssignmentTarget,
    Attendance,
    BranchInteractionFigures,
    BranchMonthFigures,
    Lesson,
    LessonHost,
    MemberYearFigures,
    OnlineStudyRecord,
    StudyNote,
)
from training.rules import study_requirement_for
from training.services.figures import figures_recompute_year, reference_day
from training.services.interaction_figures import FIGURES as INTERACTION_FIGURES
from training.services.interaction_figures import recount_interaction

logger = logging.getLogger(__name__)
# Sent by reconcile_year: apps that store figures of their own, summed from the ledger, answer with their
# differences as (figure, scope, stored, recounted) tuples.
reconciling = Signal()
SUM = DecimalField(max_digits=12, decimal_places=1)
ZERO = Decimal("0")
MEMBER_FIGURES = (
    "branch_id",
    "required_hours",
    "lessons_total",
    "lessons_attended",
    "centralised_hours",
    "self_study_hours",
    "online_hours",
    "total_hours",
    "notes_submitted",
    "notes_passed",
    "assignments_total",
    "assignments_on_time",
)
MONTH_FIGURES = ("lessons_held", "attendance_rows", "attended", "notes_submitted", "notes_passed")


@dataclass(frozen=True)
class Difference:
    figure: str
    scope: str
    ledger: object
    recomputed: object

    def __str__(self):
        return f"{self.figure} [{self.scope}]: ledger {self.ledger}, records {self.recomputed}"


def _local(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_default_timezone()
    return datetime.datetime(year, 1, 1, tzinfo=tz), datetime.datetime(year + 1, 1, 1, tzinfo=tz)


def _held_rows(year: int):
    start, end = _local(year)
    tz = timezone.get_default_timezone()
    made_up = AssignmentTarget.objects.filter(
        assignment__lesson=OuterRef("lesson"), assignment__kind="make_up", member=OuterRef("member"), status="done"
    )
    return (
        Attendance.objects.filter(lesson__status="held", lesson__start__gte=start, lesson__start__lt=end)
        .annotate(day=TruncDate("lesson__start", tzinfo=tz))
        .annotate(branch=branch_on(OuterRef("member_id"), OuterRef("day")), made_up=Exists(made_up))
        .filter(branch__isnull=False)
    )


ATTENDED = Q(status__in=["present", "late"]) | Q(status="leave", made_up=True)


def recount_members(year: int, *, today=None) -> dict[int, dict]:
    """Member id → figures, for the members on the reference day, from the raw records."""
    on = reference_day(year, today)
    population = dict(memberships_on(on).order_by("start_on", "pk").values_list("member_id", "branch_id"))
    requirement = study_requirement_for(year)
    committee = set(Post.objects.current(on).committee().values_list("member_id", flat=True))
    figures = {
        m: dict.fromkeys(MEMBER_FIGURES[2:], 0)
        | {
            "branch_id": b,
            "required_hours": requirement.committee_hours if m in committee else requirement.member_hours,
        }
        for m, b in population.items()
    }

    def put(rows, **names):
        for row in rows:
            if row["member_id"] in figures:
                for figure, column in names.items():
                    figures[row["member_id"]][figure] = row[column] or 0

    put(
        _held_rows(year)
        .values("member_id")
        .annotate(
            n=Count("pk"),
            a=Count("pk", filter=ATTENDED),
            h=Sum("lesson__credit_hours", filter=Q(status__in=["present", "late"]), output_field=SUM),
        )
        .order_by(),
        lessons_total="n",
        lessons_attended="a",
        centralised_hours="h",
    )
    put(
        StudyNote.objects.filter(study_date__year=year)
        .values("member_id")
        .annotate(
            s=Count("pk", filter=Q(status__in=["submitted", "returned", "passed"])),
            p=Count("pk", filter=Q(status="passed")),
            h=Sum("hours", filter=Q(status="passed"), output_field=SUM),
        )
        .order_by(),
        notes_submitted="s",
        notes_passed="p",
        self_study_hours="h",
    )
    put(
        OnlineStudyRecord.objects.filter(study_date__year=year)
        .values("member_id")
        .annotate(h=Sum("hours", output_field=SUM))
        .order_by(),
        online_hours="h",
    )
    put(
        AssignmentTarget.objects.filter(assignment__due_on__year=year)
        .values("member_id")
        .annotate(
            n=Count("pk"),
            t=Count("pk", filter=Q(status="done", completed_at__date__lte=F("assignment__due_on"))),
        )
        .order_by(),
        assignments_total="n",
        assignments_on_time="t",
    )
    for f in figures.values():
        f["total_hours"] = f["centralised_hours"] + f["self_study_hours"] + f["online_hours"]
    return figures


def recount_months(year: int, members: dict[int, dict]) -> dict[tuple, dict]:
    """(branch id or None, month) → figures, from the raw records; None is the bureau."""
    tz = timezone.get_default_timezone()
    start, end = _local(year)
    months = defaultdict(lambda: dict.fromkeys(MONTH_FIGURES, 0))
    hosted = LessonHost.objects.filter(
        Q(status="accepted") | Q(is_organiser=True),
        lesson__status="held",
        lesson__start__gte=start,
        lesson__start__lt=end,
    )
    for row in (
        hosted.annotate(m=ExtractMonth("lesson__start", tzinfo=tz))
        .values("branch_id", "m")
        .annotate(n=Count("lesson_id", distinct=True))
        .order_by()
    ):
        months[row["branch_id"], row["m"]]["lessons_held"] = row["n"]
    held = Lesson.objects.filter(status="held", start__gte=start, start__lt=end)
    for row in held.annotate(m=ExtractMonth("start", tzinfo=tz)).values("m").annotate(n=Count("pk")).order_by():
        months[None, row["m"]]["lessons_held"] = row["n"]
    for row in (
        _held_rows(year)
        .annotate(m=ExtractMonth("lesson__start", tzinfo=tz))
        .values("branch", "m")
        .annotate(n=Count("pk"), a=Count("pk", filter=ATTENDED))
        .order_by()
    ):
        for scope in (row["branch"], None):
            months[scope, row["m"]]["attendance_rows"] += row["n"]
            months[scope, row["m"]]["attended"] += row["a"]
    branch_of = {member_id: f["branch_id"] for member_id, f in members.items()}
    for row in (
        StudyNote.objects.filter(study_date__year=year, member_id__in=list(branch_of))
        .annotate(m=ExtractMonth("study_date"))
        .values("member_id", "m")
        .annotate(
            s=Count("pk", filter=Q(status__in=["submitted", "returned", "passed"])),
            p=Count("pk", filter=Q(status="passed")),
        )
        .order_by()
    ):
        for scope in (branch_of[row["member_id"]], None):
            months[scope, row["m"]]["notes_submitted"] += row["s"]
            months[scope, row["m"]]["notes_passed"] += row["p"]
    return months


def _same(a, b) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(a or 0) == Decimal(b or 0)
    return a == b


def reconcile_year(year: int, *, today=None) -> list[Difference]:
    """Every difference between the ledger (and the year-end rows) and a fresh count of the records."""
    recounted = recount_members(year, today=today)
    differences = []
    stored = {row.member_id: row for row in MemberYearFigures.objects.filter(year=year)}
    for member_id in sorted(set(stored) | set(recounted)):
        scope = _("member %(id)s, %(year)s") % {"id": member_id, "year": year}
        if member_id not in stored or member_id not in recounted:
            differences.append(Difference("member row", scope, member_id in stored, member_id in recounted))
            continue
        row, fresh = stored[member_id], recounted[member_id]
        for figure in MEMBER_FIGURES:
            if not _same(getattr(row, figure), fresh[figure]):
                differences.append(Difference(figure, scope, getattr(row, figure), fresh[figure]))
        rate = (
            (Decimal(fresh["lessons_attended"]) / fresh["lessons_total"]).quantize(Decimal("0.0001"))
            if fresh["lessons_total"]
            else None
        )
        if row.attendance_rate != rate:
            differences.append(Difference("attendance_rate", scope, row.attendance_rate, rate))
    months = recount_months(year, recounted)
    ledger_months = {(r.branch_id, r.month): r for r in BranchMonthFigures.objects.filter(year=year)}
    for key in sorted(set(months) | set(ledger_months), key=lambda k: (k[0] or 0, k[1])):
        branch_id, month = key
        scope = _("branch %(branch)s, %(year)s-%(month)02d") % {
            "branch": branch_id or "—",
            "year": year,
            "month": month,
        }
        row = ledger_months.get(key)
        for figure in MONTH_FIGURES:
            value = getattr(row, figure) if row else 0
            if value != months.get(key, {}).get(figure, 0):
                differences.append(Difference(figure, scope, value, months.get(key, {}).get(figure, 0)))
    differences += _interaction_differences(year)
    for _receiver, found in reconciling.send(sender=Difference, year=year):
        differences += [Difference(*difference) for difference in found]
    return differences


def _interaction_differences(year: int) -> list[Difference]:
    """The interactive-lesson rows against a lesson-by-lesson recount."""
    recounted = recount_interaction(year)
    stored = {row.branch_id: row for row in BranchInteractionFigures.objects.filter(year=year)}
    differences = []
    for branch_id in sorted(set(stored) | set(recounted), key=lambda b: b or 0):
        scope = _("interaction, branch %(branch)s, %(year)s") % {"branch": branch_id or "—", "year": year}
        row, fresh = stored.get(branch_id), recounted.get(branch_id, {})
        for figure in INTERACTION_FIGURES:
            value = getattr(row, figure) if row else 0
            if value != fresh.get(figure, 0):
                differences.append(Difference(figure, scope, value, fresh.get(figure, 0)))
    return differences


def _notify(year: int, differences: list[Difference]) -> None:
    users = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name=LEADERSHIP_GROUP))
    recipients = Member.objects.filter(user__in=users).distinct()
    message = Message(
        kind="figures_reconciled",
        target=f"figures:{year}",
        period=timezone.localdate().isoformat(),
        title=_("Figures for %(year)s repaired: %(count)d differences") % {"year": year, "count": len(differences)},
        body="\n".join(str(d) for d in differences[:20]),
        url="/assessments/",
    )
    notify_many(lambda _m: message, recipients, channels=("in_app",))


def reconcile_figures(year: int, *, fix: bool = False, notify: bool = False, today=None) -> list[Difference]:
    """Reconcile *year*; with *fix*, repair through the ledger; with *notify*, tell leadership and administrators."""
    differences = reconcile_year(year, today=today)
    if differences:
        logger.warning("Figures for %s differ from the records in %d places", year, len(differences))
        for difference in differences[:100]:
            logger.warning("%s", difference)
        if fix:
            figures_recompute_year(year, today=today)
        if notify:
            _notify(year, differences)
    return differences
