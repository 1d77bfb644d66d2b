"""The figures ledger's one writer: every stored figure is computed here, from these definitions.

A year is a calendar year in Asia/Shanghai; a lesson belongs to the month and
year of its local start.

Per member and year (MemberYearFigures), for the members assessed that year —
members of a branch on the year's *reference day* (31 December, or today
while the year runs; see members.selectors.memberships):

- branch: their branch on the reference day; role and requirement: a
  committee post on the reference day gives the committee requirement (56 by
  default), otherwise the member requirement (32), from that year's
  StudyRequirement. Past years therefore use that year's posts and branches.
- lessons in the audience: their attendance rows at lessons held in the year
  on a day they were a member (rows of someone who was not a member that day
  are not theirs to count); attended: present or late, or on leave with the
  make-up study (补学) for that lesson done.
- attendance rate: attended ÷ in the audience, NULL ("—") with no lessons.
- centralised hours: credit hours of those lessons attended present or late;
  self-study hours: hours of passed notes dated in the year; online hours:
  imported online-study hours dated in the year; total: the three added.
  Each also month by month (month_hours), so the year is the sum of months.
- notes: by study date in the year; submitted = ever sent for review
  (submitted, returned or passed); passed by grade.
- assignments: targets due in the year; on time when done by the due date.

Per branch and month (BranchMonthFigures; branch NULL = the whole bureau):

- lessons held: held lessons the branch organised or co-hosted (accepted);
  the bureau counts each lesson once however many branches hosted it.
- attendance rows and attended: rows at held lessons attributed to the
  branch the member belonged to on the lesson day (joint lessons and invited
  members of other branches included); the bureau row is their sum.
- notes submitted and passed (by study date) and reviewed (by review time)
  of the members assessed in the year, attributed like hours to their
  branch of the year.

Writes happen in figures_refresh (the marks left by the services) and
figures_recompute_year (everything); both run in one transaction under a
lock, so two workers never interleave.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth, TruncDate
from django.dispatch import Signal
from django.utils import timezone

from members.models import Membership, Post, StaleFigures
from members.selectors.memberships import ACTIVE_STATUSES, in_good_standing, memberships_on
from members.services.figures import mark_figures_stale
from training.models import (
    AssignmentTarget,
    Attendance,
    BranchMonthFigures,
    Lesson,
    LessonHost,
    MemberYearFigures,
    OnlineStudyRecord,
    StudyNote,
    StudyPlan,
)
from training.rules import study_requirement_for

ZERO = Decimal("0")
MONTHS = range(1, 13)
SUM = DecimalField(max_digits=12, decimal_places=1)
COUNTED = (Attendance.Status.PRESENT, Attendance.Status.LATE)
SUBMITTED = (StudyNote.Status.SUBMITTED, StudyNote.Status.RETURNED, StudyNote.Status.PASSED)
LOCK_KEY = 20261129  # PostgreSQL advisory lock held while the ledger is written

# Sent after the ledger of *year* changed for *member_ids* and the month rows of *branch_ids* (None: everyone,
# every branch), in the same transaction.
figures_refreshed = Signal()


def local_tz():
    return timezone.get_default_timezone()


def reference_day(year: int, today: datetime.date | None = None) -> datetime.date:
    """The day whose branch and posts count for *year*: 31 December, or today while the year runs."""
    today = today or timezone.localdate()
    return min(datetime.date(year, 12, 31), max(today, datetime.date(year, 1, 1)))


def year_span(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = local_tz()
    return datetime.datetime(year, 1, 1, tzinfo=tz), datetime.datetime(year + 1, 1, 1, tzinfo=tz)


def made_up(members=None) -> Exists:
    """On an attendance row: the member's make-up study for that lesson is done.

    *members* (ids or a subquery) narrows the lookup when only their rows are counted.
    """
    done = AssignmentTarget.objects.filter(
        assignment__lesson=OuterRef("lesson"),
        assignment__kind="make_up",
        member=OuterRef("member"),
        status=AssignmentTarget.Status.DONE,
    )
    return Exists(done if members is None else done.filter(member_id__in=members))


def attended_condition() -> Q:
    """Present or late; or on leave with the make-up study done (needs the `made_up` annotation)."""
    return Q(status__in=COUNTED) | Q(status=Attendance.Status.LEAVE, made_up=True)


def held_attendance(year: int, members=None):
    """Attendance rows at lessons held in *year* by members on the lesson day; with `made_up`, `month`, `day_branch`.

    The membership on the day is joined (one row per attendance row, as
    membership periods never overlap) rather than looked up row by row: the
    same rule as members.selectors.memberships, which the reconciliation
    uses in its row-by-row form, so an overlapping period shows up there.
    """
    start, end = year_span(year)
    rows = Attendance.objects.filter(lesson__status=Lesson.Status.HELD, lesson__start__gte=start, lesson__start__lt=end)
    if members is not None:
        rows = rows.filter(member_id__in=members)
    return (
        rows.annotate(lesson_day=TruncDate("lesson__start", tzinfo=local_tz()))
        .filter(
            Q(member__memberships__end_on__gte=F("lesson_day"))
            | Q(member__memberships__end_on__isnull=True, member__status__in=ACTIVE_STATUSES),
            in_good_standing("member__"),
            member__memberships__start_on__lte=F("lesson_day"),
        )
        .annotate(
            made_up=made_up(members),
            month=ExtractMonth("lesson__start", tzinfo=local_tz()),
            day_branch=F("member__memberships__branch_id"),
        )
    )


def assessed_population(year: int, *, today=None, member_ids=None) -> dict[int, int]:
    """Member id → branch id on the reference day, for the members assessed in *year*."""
    periods = memberships_on(reference_day(year, today))
    if member_ids is not None:
        periods = periods.filter(member_id__in=member_ids)
    # Later periods win when a member holds two on one day (a transfer's first day).
    return dict(periods.order_by("start_on", "pk").values_list("member_id", "branch_id"))


# --- member figures ----------------------------------------------------------


def _empty_member() -> dict:
    return {
        "lessons_total": 0,
        "lessons_attended": 0,
        "months": {m: [ZERO, ZERO, ZERO] for m in MONTHS},
        "notes_draft": 0,
        "notes_waiting": 0,
        "notes_returned": 0,
        "notes_submitted": 0,
        "notes_passed": 0,
        "notes_excellent": 0,
        "notes_good": 0,
        "notes_pass": 0,
        "assignments_total": 0,
        "assignments_on_time": 0,
    }


def member_figures(year: int, population: dict[int, int], *, today=None) -> list[MemberYearFigures]:
    """Compute (not save) the ledger rows of the members in *population*; six grouped queries."""
    ids = list(population)
    figures = defaultdict(_empty_member)
    attendance = (
        held_attendance(year, members=ids)
        .values("member_id", "month")
        .annotate(
            total=Count("pk"),
            attended=Count("pk", filter=attended_condition()),
            hours=Sum("lesson__credit_hours", filter=Q(status__in=COUNTED), output_field=SUM),
        )
        .order_by()
    )
    for row in attendance:
        f = figures[row["member_id"]]
        f["lessons_total"] += row["total"]
        f["lessons_attended"] += row["attended"]
        f["months"][row["month"]][0] += row["hours"] or ZERO
    status = StudyNote.Status
    notes = (
        StudyNote.objects.filter(member_id__in=ids, study_date__year=year)
        .annotate(month=ExtractMonth("study_date"))
        .values("member_id", "month")
        .annotate(
            draft=Count("pk", filter=Q(status=status.DRAFT)),
            waiting=Count("pk", filter=Q(status=status.SUBMITTED)),
            returned=Count("pk", filter=Q(status=status.RETURNED)),
            submitted=Count("pk", filter=Q(status__in=SUBMITTED)),
            passed=Count("pk", filter=Q(status=status.PASSED)),
            excellent=Count("pk", filter=Q(status=status.PASSED, grade="excellent")),
            good=Count("pk", filter=Q(status=status.PASSED, grade="good")),
            passing=Count("pk", filter=Q(status=status.PASSED, grade="pass")),
            hours=Sum("hours", filter=Q(status=status.PASSED), output_field=SUM),
        )
        .order_by()
    )
    for row in notes:
        f = figures[row["member_id"]]
        for key, column in (
            ("notes_draft", "draft"),
            ("notes_waiting", "waiting"),
            ("notes_returned", "returned"),
            ("notes_submitted", "submitted"),
            ("notes_passed", "passed"),
            ("notes_excellent", "excellent"),
            ("notes_good", "good"),
            ("notes_pass", "passing"),
        ):
            f[key] += row[column]
        f["months"][row["month"]][1] += row["hours"] or ZERO
    online = (
        OnlineStudyRecord.objects.filter(member_id__in=ids, study_date__year=year)
        .annotate(month=ExtractMonth("study_date"))
        .values("member_id", "month")
        .annotate(hours=Sum("hours", output_field=SUM))
        .order_by()
    )
    for row in online:
        figures[row["member_id"]]["months"][row["month"]][2] += row["hours"] or ZERO
    assignments = (
        AssignmentTarget.objects.filter(member_id__in=ids, assignment__due_on__year=year)
        .values("member_id")
        .annotate(
            total=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(status=AssignmentTarget.Status.DONE, completed_at__date__lte=F("assignment__due_on")),
            ),
        )
        .order_by()
    )
    for row in assignments:
        figures[row["member_id"]]["assignments_total"] = row["total"]
        figures[row["member_id"]]["assignments_on_time"] = row["on_time"]
    on = reference_day(year, today)
    committee = set(Post.objects.current(on).committee().filter(member_id__in=ids).values_list("member_id", flat=True))
    requirement = study_requirement_for(year)
    now = timezone.now()
    rows = []
    for member_id, branch_id in population.items():
        f = figures[member_id]
        by_month = f.pop("months")
        months = [by_month[m] for m in MONTHS]
        centralised, self_study, online_hours = (sum((m[i] for m in months), ZERO) for i in range(3))
        is_committee = member_id in committee
        total, attended = f["lessons_total"], f["lessons_attended"]
        rows.append(
            MemberYearFigures(
                member_id=member_id,
                year=year,
                branch_id=branch_id,
                role="committee" if is_committee else "member",
                required_hours=requirement.committee_hours if is_committee else requirement.member_hours,
                attendance_rate=(Decimal(attended) / total).quantize(Decimal("0.0001")) if total else None,
                centralised_hours=centralised,
                self_study_hours=self_study,
                online_hours=online_hours,
                total_hours=centralised + self_study + online_hours,
                month_hours=[[str(value) for value in m] for m in months],
                computed_at=now,
                **f,
            )
        )
    return rows


MEMBER_FIELDS = [f.name for f in MemberYearFigures._meta.concrete_fields if f.name not in ("id", "member", "year")]


def _save_members(year: int, rows: list[MemberYearFigures], *, claimed=None) -> None:
    """Upsert *rows*; delete the rows of *claimed* members (None: everyone) no longer assessed."""
    MemberYearFigures.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["member", "year"], update_fields=MEMBER_FIELDS, batch_size=1000
    )
    gone = MemberYearFigures.objects.filter(year=year).exclude(member_id__in=[r.member_id for r in rows])
    if claimed is not None:
        gone = gone.filter(member_id__in=claimed)
    gone.delete()


# --- branch figures ----------------------------------------------------------


def branch_month_figures(year: int, branch_ids=None) -> list[BranchMonthFigures]:
    """Compute (not save) the month rows of *branch_ids* (None: every branch with something); three queries.

    Notes are attributed through the member rows of *year*, which must be saved first.
    """
    counts = defaultdict(lambda: defaultdict(int))  # (branch, month) -> figure -> value
    start, end = year_span(year)
    hosts = LessonHost.objects.filter(
        Q(status=LessonHost.Status.ACCEPTED) | Q(is_organiser=True),
        lesson__status=Lesson.Status.HELD,
        lesson__start__gte=start,
        lesson__start__lt=end,
    )
    # Joined to the member's ledger row of the year (one per member and year): their branch of the year.
    notes = StudyNote.objects.filter(
        Q(study_date__year=year) | Q(reviewed_at__gte=start, reviewed_at__lt=end), member__year_figures__year=year
    ).annotate(year_branch=F("member__year_figures__branch_id"))
    if branch_ids is not None:
        # Narrow to the branches' members first, so only their rows are looked at.
        start_day, end_day = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        their_members = Membership.objects.filter(branch_id__in=branch_ids, start_on__lte=end_day).filter(
            Q(end_on__isnull=True) | Q(end_on__gte=start_day)
        )
        hosts = hosts.filter(branch_id__in=branch_ids)
        attendance = held_attendance(year, members=their_members.values("member_id")).filter(day_branch__in=branch_ids)
        ledger_members = MemberYearFigures.objects.filter(year=year, branch_id__in=branch_ids).values("member_id")
        notes = notes.filter(member_id__in=ledger_members).filter(year_branch__in=branch_ids)
    else:
        attendance = held_attendance(year)
    for row in (
        hosts.annotate(month=ExtractMonth("lesson__start", tzinfo=local_tz()))
        .values("branch_id", "month")
        .annotate(n=Count("lesson_id", distinct=True))
        .order_by()
    ):
        counts[row["branch_id"], row["month"]]["lessons_held"] = row["n"]
    for row in (
        attendance.values("day_branch", "month")
        .annotate(rows=Count("pk"), attended=Count("pk", filter=attended_condition()))
        .order_by()
    ):
        counts[row["day_branch"], row["month"]]["attendance_rows"] = row["rows"]
        counts[row["day_branch"], row["month"]]["attended"] = row["attended"]
    in_year = Q(study_date__year=year)
    for row in (
        notes.annotate(
            study_month=ExtractMonth("study_date"),
            review_month=ExtractMonth("reviewed_at", tzinfo=local_tz()),
        )
        .values("year_branch", "study_month", "review_month")
        .annotate(
            submitted=Count("pk", filter=in_year & Q(status__in=SUBMITTED)),
            passed=Count("pk", filter=in_year & Q(status=StudyNote.Status.PASSED)),
            reviewed=Count("pk", filter=Q(reviewed_at__gte=start, reviewed_at__lt=end)),
        )
        .order_by()
    ):
        branch = row["year_branch"]
        if row["study_month"] and (row["submitted"] or row["passed"]):
            counts[branch, row["study_month"]]["notes_submitted"] += row["submitted"]
            counts[branch, row["study_month"]]["notes_passed"] += row["passed"]
        if row["review_month"] and row["reviewed"]:
            counts[branch, row["review_month"]]["notes_reviewed"] += row["reviewed"]
    wanted = set(branch_ids) if branch_ids is not None else {branch for branch, _month in counts}
    now = timezone.now()
    return [
        BranchMonthFigures(branch_id=branch, year=year, month=month, computed_at=now, **counts.get((branch, month), {}))
        for branch in sorted(wanted)
        for month in MONTHS
    ]


BRANCH_FIELDS = ["lessons_held", "attendance_rows", "attended", "notes_submitted", "notes_passed", "notes_reviewed"]


def _save_branches(year: int, rows: list[BranchMonthFigures], *, claimed=None) -> None:
    """Replace the month rows of the branches in *rows* (and of *claimed*; None: every branch)."""
    stale = BranchMonthFigures.objects.filter(year=year, branch__isnull=False)
    if claimed is not None:
        stale = stale.filter(branch_id__in=set(claimed) | {r.branch_id for r in rows})
    stale.delete()
    BranchMonthFigures.objects.bulk_create(rows, batch_size=1000)


def bureau_month_figures(year: int) -> list[BranchMonthFigures]:
    """The bureau's month rows: each held lesson once, and the sums of the branch rows; two queries."""
    start, end = year_span(year)
    lessons = dict(
        Lesson.objects.filter(status=Lesson.Status.HELD, start__gte=start, start__lt=end)
        .annotate(month=ExtractMonth("start", tzinfo=local_tz()))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("month", "n")
    )
    sums = {
        row["month"]: row
        for row in BranchMonthFigures.objects.filter(year=year, branch__isnull=False)
        .values("month")
        .annotate(**{name: Sum(name) for name in BRANCH_FIELDS if name != "lessons_held"})
        .order_by()
    }
    now = timezone.now()
    rows = []
    for month in MONTHS:
        row = sums.get(month, {})
        figures = {name: row.get(name) or 0 for name in BRANCH_FIELDS if name != "lessons_held"}
        rows.append(
            BranchMonthFigures(
                branch=None, year=year, month=month, lessons_held=lessons.get(month, 0), computed_at=now, **figures
            )
        )
    return rows


def _save_bureau(year: int) -> None:
    BranchMonthFigures.objects.filter(year=year, branch__isnull=True).delete()
    BranchMonthFigures.objects.bulk_create(bureau_month_figures(year))


# --- the two ways in -----------------------------------------------------------


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


@transaction.atomic
def figures_recompute_year(year: int, *, today=None) -> int:
    """Recompute every figure of *year* from the records; return the number of member rows."""
    _lock()
    StaleFigures.objects.filter(year=year).delete()
    rows = member_figures(year, assessed_population(year, today=today), today=today)
    _save_members(year, rows)
    _save_branches(year, branch_month_figures(year))
    _save_bureau(year)
    figures_refreshed.send(sender=MemberYearFigures, year=year, member_ids=None, branch_ids=None, today=today)
    return len(rows)


def _affected_branches(year: int, member_ids: set[int]) -> set[int]:
    """Branches whose month rows a change to *member_ids* can move: any branch they belonged to in *year*."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    periods = Membership.objects.filter(member_id__in=member_ids, start_on__lte=end).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=start)
    )
    ledger = MemberYearFigures.objects.filter(year=year, member_id__in=member_ids)
    return set(periods.values_list("branch_id", flat=True)) | set(ledger.values_list("branch_id", flat=True))


@transaction.atomic
def figures_refresh(*, today=None) -> int:
    """Recompute what the services marked stale; return how many marks were cleared.

    The marks are claimed and deleted in this transaction: if it fails they
    come back, and the next run (or the nightly reconciliation) does the work.
    """
    _lock()
    marks = list(StaleFigures.objects.values_list("pk", "year", "member_id", "branch_id"))
    if not marks:
        return 0
    StaleFigures.objects.filter(pk__in=[m[0] for m in marks]).delete()
    by_year = defaultdict(lambda: (set(), set(), [False]))
    for _pk, year, member_id, branch_id in marks:
        members, branches, everyone = by_year[year]
        if member_id:
            members.add(member_id)
        elif branch_id:
            branches.add(branch_id)
        else:
            everyone[0] = True
    for year, (members, branches, everyone) in sorted(by_year.items()):
        if everyone[0]:
            figures_recompute_year(year, today=today)
            continue
        branches |= _affected_branches(year, members)  # before: the branches they leave
        if members:
            _save_members(
                year,
                member_figures(year, assessed_population(year, today=today, member_ids=members), today=today),
                claimed=members,
            )
        branches |= _affected_branches(year, members)  # after: the branches they join
        _save_branches(year, branch_month_figures(year, branches), claimed=branches)
        _save_bureau(year)
        figures_refreshed.send(
            sender=MemberYearFigures, year=year, member_ids=sorted(members), branch_ids=sorted(branches), today=today
        )
    return len(marks)


def figures_pending() -> bool:
    """Whether some change waits to be counted."""
    return StaleFigures.objects.exists()


def mark_lesson_stale(lesson: Lesson, *, member_ids=None) -> None:
    """A change to *lesson* (or to the rows of *member_ids* at it) moves its year's figures, and its plan item's."""
    year = timezone.localtime(lesson.start).year
    if member_ids is None:
        member_ids = Attendance.objects.filter(lesson=lesson).values_list("member_id", flat=True)
    hosts = LessonHost.objects.filter(lesson=lesson).values_list("branch_id", flat=True)
    mark_figures_stale(years=[year], members=list(member_ids), branches=list(hosts))
    if lesson.plan_item_id:
        mark_plan_items_stale([lesson.plan_item_id])


def plan_item_changed(sender, instance, **kwargs) -> None:
    """Signal receiver: a plan item saved or about to be deleted (anywhere, the admin included)."""
    mark_plan_items_stale([instance.pk])


def mark_plan_items_stale(item_ids) -> None:
    """Plan items added, deleted or gaining or losing a held lesson: their plans' branch and year figures move.

    Call it before deleting an item: the plan is found through the item.
    """
    for year, branch_id in StudyPlan.objects.filter(items__in=item_ids).values_list("year", "branch_id").distinct():
        mark_figures_stale(years=[year], branches=[branch_id])
