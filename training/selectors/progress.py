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
  holds a committee post (any of COMMITTEE_POST_KINDS, in any branch) on the
  year's reference day (31 December, or today while the year runs);
  otherwise member_hours. A past year uses that year's posts.
- Behind: total < requirement. Progress: total / requirement, as a
  percentage; a requirement of 0 counts as met (100%).
- Notes by status: counts of the member's notes in the year (by study_date)
  that are draft, submitted, returned or passed.
- Assignments: the member's AssignmentTarget rows, whatever the year: open
  and due (due_on >= today), open and overdue (due_on < today), and done.
- Month by month: for each month 1..12, the three kinds of hours, each
  counted by the local start date (lessons) or the study date (notes and
  online records). The year's figures are the sums of the months.

Every figure except the assignments (which depend on *today*) is read from
the figures ledger (training.models.MemberYearFigures, written by
training.services.figures from the same definitions); a branch's rows are
the members it had on that year's reference day. *today* defaults to the
current date in Asia/Shanghai. Each selector runs a fixed number of queries,
whatever the number of members, lessons and notes.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from members.models import Member, Post
from training.models import AssignmentTarget, MemberYearFigures
from training.rules import study_requirement_for

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
MONTHS = range(1, 13)
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
    computed_at: datetime.datetime | None = None  # None: not counted yet

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
    def chart_is_empty(self) -> bool:
        """True when no month has any hours: the page says so instead of drawing empty axes."""
        return not any(m.centralised or m.self_study or m.online for m in self.months)

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


def progress_from_ledger(figures: MemberYearFigures, member: Member, today, assignments) -> MemberProgress:
    months = tuple(
        MonthHours(month, *(Decimal(value) for value in triple))
        for month, triple in zip(MONTHS, figures.month_hours or [["0", "0", "0"]] * 12, strict=True)
    )
    return MemberProgress(
        member=member,
        year=figures.year,
        today=today,
        role=ROLE_COMMITTEE if figures.role == "committee" else ROLE_MEMBER,
        requirement=figures.required_hours,
        months=months,
        notes=NoteCounts(figures.notes_draft, figures.notes_waiting, figures.notes_returned, figures.notes_passed),
        assignments=assignments.get(member.pk, AssignmentCounts()),
        computed_at=figures.computed_at,
    )


def _not_counted(member: Member, year: int, today, assignments) -> MemberProgress:
    """A member with no ledger row for the year yet (just added, or the recompute is pending)."""
    requirement = study_requirement_for(year)
    is_committee = Post.objects.current(today).committee().filter(member=member).exists()
    return MemberProgress(
        member=member,
        year=year,
        today=today,
        role=ROLE_COMMITTEE if is_committee else ROLE_MEMBER,
        requirement=requirement.committee_hours if is_committee else requirement.member_hours,
        months=tuple(MonthHours(month) for month in MONTHS),
        assignments=assignments.get(member.pk, AssignmentCounts()),
    )


# --- selectors -------------------------------------------------------------


def member_progress(member: Member, year: int, *, today: datetime.date | None = None) -> MemberProgress:
    """Return *member*'s study hours for *year* against the requirement, from the ledger; two queries."""
    today = today or bureau_today()
    assignments = _assignment_counts_by_member(Q(member_id=member.pk), today)
    figures = MemberYearFigures.objects.filter(member=member, year=year).first()
    if figures is None:
        return _not_counted(member, year, today, assignments)
    return progress_from_ledger(figures, member, today, assignments)


def branch_progress(
    branch: Branch, year: int, *, today: datetime.date | None = None, order: str = "name"
) -> list[MemberProgress]:
    """Return a MemberProgress for every member *branch* had in *year* (on its reference day); two queries.

    *order* is one of ORDERS, ascending, or descending with a leading "-";
    ties keep the name order (pinyin, as the member list).
    """
    descending = order.startswith("-")
    key = order.removeprefix("-")
    if key not in ORDERS:
        raise ValueError(f"Unknown order: {order!r}")
    today = today or bureau_today()
    ledger = list(
        MemberYearFigures.objects.filter(branch=branch, year=year)
        .select_related("member")
        .order_by("member__name_pinyin", "member_id")
    )
    assignments = _assignment_counts_by_member(Q(member_id__in=[f.member_id for f in ledger]), today)
    rows = [progress_from_ledger(figures, figures.member, today, assignments) for figures in ledger]
    if key == "name":
        return rows[::-1] if descending else rows
    value = attrgetter("progress_ratio" if key == "progress" else key)
    # sorted() is stable, with reverse too: equal values stay in name order.
    return sorted(rows, key=value, reverse=descending)


def branch_progress_summary(rows: Sequence[MemberProgress]) -> BranchProgressSummary:
    """Count the members in *rows* (from branch_progress) and how many are behind."""
    return BranchProgressSummary(members=len(rows), behind=sum(1 for row in rows if row.behind))
