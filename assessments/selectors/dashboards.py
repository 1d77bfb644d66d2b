"""Figures for the leadership and branch dashboards, read from the figures ledger.

Every figure here is stored by training.services.figures (the definitions
are in its docstring) or is a verdict of the year-end assessment; this
module only groups and narrows them. In short (a year is a calendar year in
Asia/Shanghai):

- Members, hours, the hour bands, notes of the year, scores and evaluation
  outcomes: the year-end rows, which follow the ledger's member rows (the
  members on the year's reference day, in their branch on that day — hours
  stay with the member).
- Lessons held, attendance rows and attended, notes by month and notes
  reviewed: the ledger's month rows; attendance is attributed to the branch
  the member belonged to on the lesson day, the same on the cards and in the
  monthly trend; the bureau counts a joint lesson once.
- A rate with nothing to count (no attendance rows, no members) is None,
  shown as "—" and left out of averages.
- Lessons planned and plan completion: the branch's annual study plan;
  三会一课 compliance: training.selectors.plans; overdue rectification:
  items not rectified whose deadline has passed, as of *today*.

For a whole year each branch's figures are read from its branch-and-year row
(assessments.services.branch_figures), which holds the year-end rows, the
month rows and the plan's items already summed.

A period (whole months within one year, as checkup reports use) narrows the
month rows: lessons held, attendance, notes submitted and passed (by study
date) and reviewed, plan items (by month) and compliance (up to the
period's end). Members, hours, scores and outcomes stay year-to-date. A
period covering the whole year gives exactly the year's figures.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone

from assessments.models import BranchAssessment, BranchYearFigures, RectificationItem, YearEndAssessment
from assessments.models.figures import EVALUATION_FIELDS, HOUR_SHARES
from branches.models import Branch
from members.models import Member
from training.models import AssignmentTarget, BranchMonthFigures, Lesson, LessonHost, StudyPlanItem
from training.selectors.figures import Freshness, figures_freshness
from training.selectors.plans import meeting_compliance_counts

EVALUATIONS = [value for value, _label in YearEndAssessment.Evaluation.choices]
# (band, lowest share of the requirement, share it stays below): the bands between the stored shares.
_BOUNDS = [None, *(share for _name, share in HOUR_SHARES), None]
HOUR_BUCKETS = [(band, _BOUNDS[i], _BOUNDS[i + 1]) for i, band in enumerate(("lt25", "lt50", "lt75", "lt100", "met"))]


def _hour_bands(members: int, at_least: list[int]) -> dict[str, int]:
    """Members per hour band from the cumulative counts at each band's lower bound (stored, HOUR_SHARES)."""
    bounds = [members, *at_least, 0]
    return {name: bounds[i] - bounds[i + 1] for i, (name, _low, _high) in enumerate(HOUR_BUCKETS)}


Period = tuple[datetime.date, datetime.date]


def _span(year: int, period: Period | None) -> Period | None:
    """Return the validated *period*, or None when it is absent or covers the whole of *year*."""
    if period is None:
        return None
    start, end = period
    if start > end or start.year != year or end.year != year:
        raise ValueError(f"A period must lie within {year} and end on or after its start: {start}–{end}.")
    if (start, end) == (datetime.date(year, 1, 1), datetime.date(year, 12, 31)):
        return None
    return start, end


def _months(span: Period | None) -> list[int]:
    """The months a period covers (reports use whole months); all twelve without one."""
    return list(range(1, 13)) if span is None else list(range(span[0].month, span[1].month + 1))


def _ratio(part, whole) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


@dataclass
class BranchRow:
    branch: Branch
    members: int = 0
    lessons_held: int = 0
    lessons_planned: int = 0
    plan_done: int = 0
    attendance_rows: int = 0
    attended: int = 0
    meets_hours: int = 0
    total_hours: Decimal = Decimal("0")
    notes_submitted: int = 0
    notes_passed: int = 0
    notes_reviewed: int = 0
    avg_score: Decimal | None = None
    evaluations: dict = field(default_factory=dict)
    hour_buckets: dict = field(default_factory=dict)
    compliance_ok: int = 0
    compliance_rules: int = 0
    overdue_items: int = 0
    status: str = "draft"
    computed_at: datetime.datetime | None = None

    @property
    def attendance_rate(self):
        return _ratio(self.attended, self.attendance_rows)

    @property
    def meets_share(self):
        return _ratio(self.meets_hours, self.members)

    @property
    def plan_completion(self):
        return _ratio(self.plan_done, self.lessons_planned)

    @property
    def avg_hours(self):
        return round(float(self.total_hours) / self.members, 1) if self.members else None


def branch_rows(
    year: int,
    *,
    branch_ids=None,
    today: datetime.date | None = None,
    period: Period | None = None,
    within: Branch | None = None,
) -> list[BranchRow]:
    """Return one row of figures per branch (see the module docstring), in a fixed number of queries.

    *period* (start, end), within *year*, narrows the dated figures; see the
    module docstring. *within* keeps the branches of one organisation's subtree.
    """
    today = today or timezone.localdate()
    span = _span(year, period)
    overdue = (
        RectificationItem.objects.filter(visit__branch=OuterRef("pk"), deadline__lt=today)
        .exclude(status=RectificationItem.Status.DONE)
        .order_by()
        .values("visit__branch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    status = BranchAssessment.objects.filter(branch=OuterRef("pk"), year=year).values("status")[:1]
    chosen = Branch.objects.branches_only().active()
    if branch_ids is not None:
        chosen = chosen.filter(pk__in=branch_ids)
    if within is not None:
        chosen = chosen.filter(path__startswith=within.path)
    branches = chosen.annotate(
        overdue_items=Coalesce(Subquery(overdue, output_field=IntegerField()), 0),
        assessment_status=Subquery(status),
        **({} if span is None else _plan_in_period(year, span)),
    ).order_by("sort_order", "code")
    rows = {
        b.pk: BranchRow(branch=b, overdue_items=b.overdue_items, status=b.assessment_status or "draft")
        for b in branches
    }
    ids = list(rows)
    # The whole tree as a subquery, which PostgreSQL joins in one hash, where a list of hundreds of ids
    # is tested row by row; a subtree's few ids go through the (year, branch) indexes.
    whole_tree = branch_ids is None and within is None
    chosen_ids = chosen.values("pk") if whole_tree else ids
    for figures in BranchYearFigures.objects.filter(year=year, branch_id__in=chosen_ids):
        fill_from_year(rows[figures.branch_id], figures)
    if span is not None:
        _fill_from_months(rows, year, chosen_ids, _months(span))
        for branch in branches:
            rows[branch.pk].lessons_planned, rows[branch.pk].plan_done = branch.planned_in_period, branch.done_in_period
    on = today if period is None else min(today, period[1])
    counts = meeting_compliance_counts(ids, year, on, among=chosen_ids if whole_tree else None)
    for branch_id, (met, rules) in counts.items():
        rows[branch_id].compliance_ok, rows[branch_id].compliance_rules = met, rules
    return list(rows.values())


def _plan_in_period(year: int, span: Period) -> dict:
    """Annotations for a branch: its plan items of the period's months, and those with a lesson held."""
    items = StudyPlanItem.objects.filter(
        plan__branch=OuterRef("pk"), plan__year=year, month__gte=span[0].month, month__lte=span[1].month
    ).order_by()
    planned = items.values("plan__branch").annotate(n=Count("pk")).values("n")
    done = items.filter(lessons__status="held").values("plan__branch").annotate(n=Count("pk", distinct=True))
    return {
        "planned_in_period": Coalesce(Subquery(planned, output_field=IntegerField()), 0),
        "done_in_period": Coalesce(Subquery(done.values("n"), output_field=IntegerField()), 0),
    }


def fill_from_year(row: BranchRow, figures: BranchYearFigures) -> None:
    """The branch's stored figures of the year (assessments.services.branch_figures) on its row."""
    row.members, row.meets_hours, row.total_hours = figures.members, figures.meets_hours, figures.total_hours
    row.notes_submitted, row.notes_passed = figures.notes_submitted, figures.notes_passed
    row.avg_score = figures.score_sum / figures.members if figures.members else None
    row.computed_at = figures.computed_at
    row.evaluations = {value or "none": getattr(figures, name) for value, name in EVALUATION_FIELDS.items()}
    row.hour_buckets = _hour_bands(figures.members, [getattr(figures, name) for name, _share in HOUR_SHARES])
    row.lessons_held, row.notes_reviewed = figures.lessons_held, figures.notes_reviewed
    row.attendance_rows, row.attended = figures.attendance_rows, figures.attended
    row.lessons_planned, row.plan_done = figures.lessons_planned, figures.plan_done


def _fill_from_months(rows: dict[int, BranchRow], year: int, chosen_ids, months: list[int]) -> None:
    """A period's dated figures on the rows: the month rows of its months, summed."""
    for row in rows.values():
        row.lessons_held = row.attendance_rows = row.attended = 0
        row.notes_submitted = row.notes_passed = row.notes_reviewed = 0
    for m in (
        BranchMonthFigures.objects.filter(year=year, branch_id__in=chosen_ids, month__in=months)
        .values("branch_id")
        .annotate(
            held=Sum("lessons_held"),
            rows=Sum("attendance_rows"),
            attended=Sum("attended"),
            submitted=Sum("notes_submitted"),
            passed=Sum("notes_passed"),
            reviewed=Sum("notes_reviewed"),
        )
        .order_by()
    ):
        row = rows[m["branch_id"]]
        row.lessons_held, row.attendance_rows, row.attended = m["held"], m["rows"], m["attended"]
        row.notes_submitted, row.notes_passed, row.notes_reviewed = m["submitted"], m["passed"], m["reviewed"]


@dataclass
class Month:
    month: int
    lessons: int = 0
    rows: int = 0
    attended: int = 0

    @property
    def attendance_rate(self):
        return _ratio(self.attended, self.rows)


def monthly_trend(year: int, *, branch_id: int | None = None, period: Period | None = None) -> list[Month]:
    """Held lessons and attendance per month, from the ledger's month rows of the branch (None: the bureau); one query.

    Attendance is attributed to the branch each member belonged to on the
    lesson day, exactly as on the branch's cards.
    """
    span = _span(year, period)
    months = {m: Month(m) for m in _months(span)}
    for row in BranchMonthFigures.objects.filter(year=year, branch_id=branch_id, month__in=list(months)):
        months[row.month] = Month(row.month, lessons=row.lessons_held, rows=row.attendance_rows, attended=row.attended)
    return list(months.values())


@dataclass
class Dashboard:
    year: int
    rows: list[BranchRow]
    months: list[Month]
    lessons_held: int
    period: Period | None = None
    freshness: Freshness | None = None

    # The rows added up; given when rows hold only a page of the ranking (tree_dashboard).
    total: BranchRow | None = None

    def __post_init__(self):
        if self.total is None:
            self.total = _sum_rows(None, self.rows)

    @property
    def members(self) -> int:
        return self.total.members

    @property
    def lessons_planned(self) -> int:
        return self.total.lessons_planned

    @property
    def attendance_rate(self):
        return self.total.attendance_rate

    @property
    def meets_share(self):
        return self.total.meets_share

    @property
    def notes_submitted(self) -> int:
        return self.total.notes_submitted

    @property
    def notes_passed(self) -> int:
        return self.total.notes_passed

    @property
    def notes_reviewed(self) -> int:
        return self.total.notes_reviewed

    @property
    def overdue_items(self) -> int:
        return self.total.overdue_items

    @property
    def computed_at(self):
        return self.total.computed_at

    def evaluation_distribution(self) -> dict[str, int]:
        return {e: self.total.evaluations.get(e, 0) for e in [*EVALUATIONS, "none"]}

    def hour_distribution(self) -> dict[str, int]:
        return {name: self.total.hour_buckets.get(name, 0) for name, _l, _h in HOUR_BUCKETS}


def dashboard(
    year: int,
    *,
    branch_ids=None,
    today: datetime.date | None = None,
    period: Period | None = None,
) -> Dashboard:
    """Return every figure of the dashboard for *year*, for all branches or the given ones.

    *period* (start, end), within *year*, narrows the dated figures; see the
    module docstring.
    """
    rows = branch_rows(year, branch_ids=branch_ids, today=today, period=period)
    single = branch_ids[0] if branch_ids is not None and len(branch_ids) == 1 else None
    months = monthly_trend(year, branch_id=single, period=period)
    lessons_held = sum(m.lessons for m in months) if branch_ids is None or single else sum(r.lessons_held for r in rows)
    return Dashboard(
        year=year,
        rows=rows,
        months=months,
        lessons_held=lessons_held,
        period=period,
        freshness=figures_freshness(year),
    )


def _subtree_trend(year: int, organisation: Branch, branch_ids: list[int], period: Period | None = None) -> list[Month]:
    """The month rows of every branch in the subtree, summed per month (of *period*, if given); two queries.

    Lessons are counted once each, as the bureau row counts them: a joint
    lesson of two branches in the subtree is one lesson held (the same hosts
    and statuses as the ledger's per-branch count).
    """
    span = _span(year, period)
    months = {m: Month(m) for m in _months(span)}
    sums = (
        BranchMonthFigures.objects.filter(year=year, branch__path__startswith=organisation.path, month__in=list(months))
        .values("month")
        .annotate(rows=Sum("attendance_rows"), attended=Sum("attended"))
        .order_by()
    )
    for m in sums:
        months[m["month"]] = Month(m["month"], rows=m["rows"], attended=m["attended"])
    tz = timezone.get_default_timezone()
    start, end = datetime.datetime(year, 1, 1, tzinfo=tz), datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    if span is not None:
        start = datetime.datetime.combine(span[0], datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(span[1] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    held = (
        LessonHost.objects.filter(
            Q(status=LessonHost.Status.ACCEPTED) | Q(is_organiser=True),
            branch_id__in=branch_ids,
            lesson__status=Lesson.Status.HELD,
            lesson__start__gte=start,
            lesson__start__lt=end,
        )
        .annotate(month=ExtractMonth("lesson__start", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(n=Count("lesson_id", distinct=True))
        .order_by()
    )
    for m in held:
        if m["month"] in months:
            months[m["month"]].lessons = m["n"]
    return list(months.values())


def organisation_dashboard(
    year: int, organisation: Branch, *, today: datetime.date | None = None, period: Period | None = None
) -> Dashboard:
    """The dashboard of *organisation*: its own row for a branch without branches below, else one row per
    branch of its subtree (cards summed as subtree_dashboard sums them). Three queries plus branch_rows'."""
    rows = branch_rows(year, today=today, period=period, within=organisation)
    if all(row.branch.pk == organisation.pk for row in rows):
        months = monthly_trend(year, branch_id=organisation.pk, period=period)
        held = sum(m.lessons for m in months)
    else:
        months = _subtree_trend(year, organisation, [row.branch.pk for row in rows], period)
        held = sum(m.lessons for m in months)
    return Dashboard(
        year=year, rows=rows, months=months, lessons_held=held, period=period, freshness=figures_freshness(year)
    )


def _sum_rows(branch: Branch, rows: list[BranchRow]) -> BranchRow:
    """One ranking row for an organisation: its subtree's branch rows added up (averages weighted by members)."""
    total = BranchRow(branch=branch)
    scored = Decimal("0")
    scored_members = 0
    for row in rows:
        for name in (
            "members",
            "lessons_held",
            "lessons_planned",
            "plan_done",
            "attendance_rows",
            "attended",
            "meets_hours",
            "total_hours",
            "notes_submitted",
            "notes_passed",
            "notes_reviewed",
            "compliance_ok",
            "compliance_rules",
            "overdue_items",
        ):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        for name in ("evaluations", "hour_buckets"):
            merged = getattr(total, name)
            for key, value in getattr(row, name).items():
                merged[key] = merged.get(key, 0) + value
        if row.avg_score is not None and row.members:
            scored += Decimal(row.avg_score) * row.members
            scored_members += row.members
        if row.computed_at and (total.computed_at is None or row.computed_at < total.computed_at):
            total.computed_at = row.computed_at
    total.avg_score = scored / scored_members if scored_members else None
    statuses = {row.status for row in rows}
    total.status = statuses.pop() if len(statuses) == 1 else "draft"
    return total


def subtree_dashboard(year: int, organisation: Branch, *, today: datetime.date | None = None) -> Dashboard:
    """The dashboard of one organisation's subtree; its rows rank the organisation's children (siblings).

    The cards add up every branch of the subtree, exactly as the children's
    rows do; branches at the organisation itself (a 党总支's own members) get
    a row of their own. A fixed number of queries at any size or depth.
    """
    rows = branch_rows(year, today=today, within=organisation)
    children = list(
        Branch.objects.children_of(organisation)
        .active()
        .annotate(child_count=Count("children"))
        .order_by("sort_order", "code")
    )
    level = organisation.depth + 1
    groups: dict[int, list[BranchRow]] = {child.pk: [] for child in children}
    own = []
    for row in rows:
        ids = row.branch.ancestor_ids
        if len(ids) > level and ids[level] in groups:
            groups[ids[level]].append(row)
        elif row.branch.pk == organisation.pk:
            own.append(row)
    ranking = list(own)
    for child in children:
        summed = _sum_rows(child, groups[child.pk]) if child.child_count else None
        leaf = next((r for r in groups[child.pk] if r.branch.pk == child.pk), None)
        ranking.append(summed or leaf or BranchRow(branch=child))
    months = _subtree_trend(year, organisation, [row.branch.pk for row in rows])
    return Dashboard(
        year=year,
        rows=ranking,
        months=months,
        lessons_held=sum(m.lessons for m in months),
        freshness=figures_freshness(year),
    )


def member_rows(branch_id: int, year: int) -> list[YearEndAssessment]:
    """Return the branch's year-end assessment rows with their members, best score first."""
    return list(
        YearEndAssessment.objects.filter(branch_id=branch_id, year=year)
        .select_related("member")
        .order_by("-score", "member__name_pinyin")
    )


def members_below_requirement(year: int, *, branch_ids=None) -> list[YearEndAssessment]:
    """Return the stored assessment rows of *year* below the hour requirement, by branch, then fewest hours.

    The same test as meets_hours and the hour bands: total < required.
    """
    rows = YearEndAssessment.objects.filter(year=year, total_hours__lt=F("required_hours"))
    if branch_ids is not None:
        rows = rows.filter(branch_id__in=branch_ids)
    return list(
        rows.select_related("member", "branch").order_by(
            "branch__sort_order", "branch__code", "total_hours", "member__name_pinyin", "pk"
        )
    )


def overdue_assignments_by_branch(*, today: datetime.date, branch_ids=None) -> dict[int, int]:
    """Return branch id → open assignments of its active members due before *today*; one query.

    The same count as training.progress (AssignmentCounts.overdue), summed
    over the members of each branch.
    """
    targets = AssignmentTarget.objects.filter(
        status=AssignmentTarget.Status.OPEN,
        assignment__due_on__lt=today,
        member__status__in=[Member.Status.FULL, Member.Status.PROBATIONARY],
    )
    if branch_ids is not None:
        targets = targets.filter(member__branch_id__in=branch_ids)
    return {
        row["member__branch_id"]: row["n"]
        for row in targets.values("member__branch_id").annotate(n=Count("pk")).order_by()
    }
