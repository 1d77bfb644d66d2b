"""A member's study hours for a year against the requirement (学时进度).

Definitions (the dashboards reuse these selectors, so each figure is exact):

- Year: the calendar year in Asia/Shanghai. A lesson belongs to the year of
  its local start date, so a lesson at 23:00 on 31 December local time counts
  in that year.
- Centralised hours (集中学习学时): the sum of Lesson.credit_hours over the
  member's Attendance rows marked present or late, for lessons with status
  "held" that start in the year. Leave, absence, unmarked rows, and draft,
  published or cancelled lessons add nothing.
- Self-study hours (自学学时): the sum of hours of the member's StudyNotes
  with status "passed" and a study_date in the year.
- Online hours (网络学习学时): the sum of the member's
  OnlineStudyRecord.hours with a study_date in the year.
- Total: the three added.
- Requirement: StudyRequirement.committee_hours for the year when the member
  holds a current committee post (any of COMMITTEE_POST_KINDS, in any
  branch) on *today*, the day of computing; otherwise member_hours.
- Behind: total < requirement. Progress: total / requirement, as a
  percentage; a requirement of 0 counts as met (100%).
- Notes by status: counts of the member's notes in the year (by study_date)
  that are draft, submitted, returned or passed.
- Assignments: the member's AssignmentTarget rows, whatever the year: open
  and due (due_on >= today), open and overdue (due_on < today), and done.
- Month by month: for each month 1..12, the three kinds of hours, each
  counted by the local start date (lessons) or the study date (notes and
  online records). The year's figures are the sums of the months.

*today* defaults to the current date in Asia/Shanghai. Each selector runs a
fixed number of queries, whatever the number of members, lessons and notes;
the first call for a year also creates that year's StudyRequirement.
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from members.models import Member, Post
from training.models import AssignmentTarget, Attendance, Lesson, OnlineStudyRecord, StudyNote
from training.rules import study_requirement_for

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
MONTHS = range(1, 13)
COUNTED_ATTENDANCE = (Attendance.Status.PRESENT, Attendance.Status.LATE)
ROLE_COMMITTEE = "committee"
ROLE_MEMBER = "member"
ORDERS = ("name", "total", "centralised", "self_study", "online", "progress")


# --- results ---------------------------------------------------------------


@dataclass(frozen=True)
class MonthHours:
    month: int
    centralised: Decimal = ZERO
    self_study: Decimal = ZERO
    online: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.centralised + self.self_study + self.online

    @property
    def label(self) -> str:
        return _("Month %(number)d") % {"number": self.month}


@dataclass(frozen=True)
class NoteCounts:
    draft: int = 0
    submitted: int = 0
    returned: int = 0
    passed: int = 0

    @property
    def total(self) -> int:
        return self.draft + self.submitted + self.returned + self.passed


@dataclass(frozen=True)
class AssignmentCounts:
    due: int = 0  # open, due today or later
    overdue: int = 0  # open, due before today
    done: int = 0

    @property
    def open(self) -> int:
        return self.due + self.overdue


@dataclass(frozen=True)
class MemberProgress:
    member: Member
    year: int
    today: datetime.date
    role: str  # ROLE_COMMITTEE or ROLE_MEMBER: which requirement applies
    requirement: Decimal
    months: tuple[MonthHours, ...]
    notes: NoteCounts = field(default_factory=NoteCounts)
    assignments: AssignmentCounts = field(default_factory=AssignmentCounts)

    @property
    def member_id(self) -> int:
        return self.member.pk

    @property
    def centralised(self) -> Decimal:
        return sum((m.centralised for m in self.months), ZERO)

    @property
    def self_study(self) -> Decimal:
        return sum((m.self_study for m in self.months), ZERO)

    @property
    def online(self) -> Decimal:
        return sum((m.online for m in self.months), ZERO)

    @property
    def total(self) -> Decimal:
        return self.centralised + self.self_study + self.online

    @property
    def is_committee(self) -> bool:
        return self.role == ROLE_COMMITTEE

    @property
    def role_label(self) -> str:
        if self.is_committee:
            return _("secretary or committee member")
        return _("Party member")

    @property
    def behind(self) -> bool:
        return self.total < self.requirement

    @property
    def remaining(self) -> Decimal:
        """Hours still missing; 0 once the requirement is met."""
        return max(self.requirement - self.total, ZERO)

    @property
    def progress_ratio(self) -> Decimal:
        """Total / requirement (1 means met); a zero requirement counts as met."""
        if self.requirement <= 0:
            return Decimal("1")
        return self.total / self.requirement

    @property
    def progress_percent(self) -> Decimal:
        """Progress in percent to one decimal, rounded down so 100 means met."""
        return (self.progress_ratio * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    @property
    def progress_bar(self) -> int:
        """Whole percent for the bar's width, 0 to 100."""
        return min(int(self.progress_percent), 100)

    @property
    def chart_element_id(self) -> str:
        return f"progress-chart-{self.member.pk}-{self.year}"

    @property
    def chart(self) -> dict:
        """Month-by-month hours for the chart script, read through json_script."""
        return {
            "labels": [m.label for m in self.months],
            "series": [
                {
                    "key": "centralised",
                    "name": _("Centralised study"),
                    "data": [float(m.centralised) for m in self.months],
                },
                {"key": "self_study", "name": _("Self-study"), "data": [float(m.self_study) for m in self.months]},
                {"key": "online", "name": _("Online study"), "data": [float(m.online) for m in self.months]},
            ],
        }


@dataclass(frozen=True)
class BranchProgressSummary:
    members: int
    behind: int

    @property
    def met(self) -> int:
        return self.members - self.behind


# --- helpers ---------------------------------------------------------------


def bureau_today() -> datetime.date:
    """Return today's date in Asia/Shanghai."""
    return timezone.localdate(timezone=BUREAU_TZ)


def _hours_sum(column: str) -> Sum:
    # Wider than the summed columns (4 or 5 digits), so a year's sum fits.
    return Sum(column, output_field=DecimalField(max_digits=12, decimal_places=1))


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime(year, 1, 1, tzinfo=BUREAU_TZ)
    return start, datetime.datetime(year + 1, 1, 1, tzinfo=BUREAU_TZ)


def _hours_by_member_and_month(members: Q, year: int) -> dict[int, dict[int, dict[str, Decimal]]]:
    """Return member id → month → {kind: hours}; three grouped queries."""
    start, end = _year_bounds(year)
    hours: dict[int, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    centralised = (
        Attendance.objects.filter(
            members,
            status__in=COUNTED_ATTENDANCE,
            lesson__status=Lesson.Status.HELD,
            lesson__start__gte=start,
            lesson__start__lt=end,
        )
        .annotate(month=ExtractMonth("lesson__start", tzinfo=BUREAU_TZ))
        .values("member_id", "month")
        .annotate(hours=_hours_sum("lesson__credit_hours"))
        .order_by()
    )
    self_study = (
        StudyNote.objects.filter(members, status=StudyNote.Status.PASSED, study_date__year=year)
        .annotate(month=ExtractMonth("study_date"))
        .values("member_id", "month")
        .annotate(hours=_hours_sum("hours"))
        .order_by()
    )
    online = (
        OnlineStudyRecord.objects.filter(members, study_date__year=year)
        .annotate(month=ExtractMonth("study_date"))
        .values("member_id", "month")
        .annotate(hours=_hours_sum("hours"))
        .order_by()
    )
    for kind, rows in (("centralised", centralised), ("self_study", self_study), ("online", online)):
        for row in rows:
            hours[row["member_id"]][row["month"]][kind] = row["hours"] or ZERO
    return hours


def _note_counts_by_member(members: Q, year: int) -> dict[int, NoteCounts]:
    status = StudyNote.Status
    rows = (
        StudyNote.objects.filter(members, study_date__year=year)
        .values("member_id")
        .annotate(
            draft=Count("pk", filter=Q(status=status.DRAFT)),
            submitted=Count("pk", filter=Q(status=status.SUBMITTED)),
            returned=Count("pk", filter=Q(status=status.RETURNED)),
            passed=Count("pk", filter=Q(status=status.PASSED)),
        )
        .order_by()
    )
    return {
        row["member_id"]: NoteCounts(row["draft"], row["submitted"], row["returned"], row["passed"]) for row in rows
    }


def _assignment_counts_by_member(members: Q, today: datetime.date) -> dict[int, AssignmentCounts]:
    is_open = Q(status=AssignmentTarget.Status.OPEN)
    rows = (
        AssignmentTarget.objects.filter(members)
        .values("member_id")
        .annotate(
            due=Count("pk", filter=is_open & Q(assignment__due_on__gte=today)),
            overdue=Count("pk", filter=is_open & Q(assignment__due_on__lt=today)),
            done=Count("pk", filter=Q(status=AssignmentTarget.Status.DONE)),
        )
        .order_by()
    )
    return {row["member_id"]: AssignmentCounts(row["due"], row["overdue"], row["done"]) for row in rows}


def _progress_rows(
    members: Sequence[Member], committee_ids: set[int], members_q: Q, year: int, today: datetime.date
) -> list[MemberProgress]:
    """Build one MemberProgress per member from grouped sums; six queries."""
    requirement = study_requirement_for(year)
    hours = _hours_by_member_and_month(members_q, year)
    notes = _note_counts_by_member(members_q, year)
    assignments = _assignment_counts_by_member(members_q, today)
    rows = []
    for member in members:
        by_month = hours.get(member.pk, {})
        is_committee = member.pk in committee_ids
        rows.append(
            MemberProgress(
                member=member,
                year=year,
                today=today,
                role=ROLE_COMMITTEE if is_committee else ROLE_MEMBER,
                requirement=requirement.committee_hours if is_committee else requirement.member_hours,
                months=tuple(MonthHours(month, **by_month.get(month, {})) for month in MONTHS),
                notes=notes.get(member.pk, NoteCounts()),
                assignments=assignments.get(member.pk, AssignmentCounts()),
            )
        )
    return rows


def _committee_post(on: datetime.date):
    return Post.objects.current(on).committee()


# --- selectors -------------------------------------------------------------


def member_progress(member: Member, year: int, *, today: datetime.date | None = None) -> MemberProgress:
    """Return *member*'s study hours for *year* against the requirement; seven queries."""
    today = today or bureau_today()
    committee_ids = {member.pk} if _committee_post(today).filter(member=member).exists() else set()
    (row,) = _progress_rows([member], committee_ids, Q(member_id=member.pk), year, today)
    return row


def branch_progress(
    branch: Branch, year: int, *, today: datetime.date | None = None, order: str = "name"
) -> list[MemberProgress]:
    """Return a MemberProgress for every active member of *branch*; seven queries.

    *order* is one of ORDERS, ascending, or descending with a leading "-";
    ties keep the name order (pinyin, as the member list).
    """
    descending = order.startswith("-")
    key = order.removeprefix("-")
    if key not in ORDERS:
        raise ValueError(f"Unknown order: {order!r}")
    today = today or bureau_today()
    members = list(
        Member.objects.in_branch(branch)
        .active()
        .annotate(holds_committee_post=Exists(_committee_post(today).filter(member=OuterRef("pk"))))
        .order_by("name_pinyin", "pk")
    )
    committee_ids = {m.pk for m in members if m.holds_committee_post}
    members_q = Q(member__in=Member.objects.in_branch(branch).active().values("pk"))
    rows = _progress_rows(members, committee_ids, members_q, year, today)
    if key == "name":
        return rows[::-1] if descending else rows
    value = attrgetter("progress_ratio" if key == "progress" else key)
    # sorted() is stable, with reverse too: equal values stay in name order.
    return sorted(rows, key=value, reverse=descending)


def branch_progress_summary(rows: Sequence[MemberProgress]) -> BranchProgressSummary:
    """Count the members in *rows* (from branch_progress) and how many are behind."""
    return BranchProgressSummary(members=len(rows), behind=sum(1 for row in rows if row.behind))
