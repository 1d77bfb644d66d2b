"""Home-page to-do lists from training's records: what waits for a branch committee and for a member.

Each item is a count computed in SQL with a link straight to the page where
the work is done, and an urgency: overdue work first, then what must be
decided before a date, then what is due this week, then what simply waits.

Definitions (today and now in Asia/Shanghai):

- notes to review: the scope's members' notes with status "submitted";
  overdue once the oldest has waited more than REVIEW_DAYS days.
- leave requests: pending requests for lessons that have not started (after
  the start, the request no longer matters: the lesson decides attendance).
- invitations: co-host invitations of the scope's branches to published
  lessons that have not started.
- lessons to close: published lessons organised by the scope that have
  ended; with them, their attendance rows still unmarked.
- make-up overdue: open make-up targets of the scope's members due before
  today.
- assignments this week: the scope's self-study assignments due from today
  to today + 6, with their done and total targets.
- below the pace: the scope's members in the figures ledger whose total hours
  are below required hours × (day of year ÷ days in the year).
- a member's own items: overdue and due-this-week assignments and make-up
  study, notes returned for revision, and hours against the same pace.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Member
from training.models import (
    Assignment,
    AssignmentTarget,
    Attendance,
    LeaveRequest,
    Lesson,
    LessonHost,
    MemberYearFigures,
    StudyNote,
)
from training.selectors.figures import Freshness
from training.selectors.progress import AssignmentCounts, MemberProgress, member_progress, progress_from_ledger

OVERDUE = 0  # past its date
DECIDE = 1  # must be answered before a date (a lesson's start)
THIS_WEEK = 2  # due within the week
WAITING = 3  # waits, with no date
REVIEW_DAYS = 7
MEMBER_COUNTS = ("assignments_overdue", "assignments_week", "make_up_overdue", "make_up_due", "notes_returned")
WEEK = datetime.timedelta(days=6)


@dataclass(frozen=True)
class TodoItem:
    key: str
    label: str
    count: int
    url: str
    urgency: int
    detail: str = ""
    show_count: bool = True  # False: the item is a state (behind the pace), not a number of things

    @property
    def is_overdue(self) -> bool:
        return self.urgency == OVERDUE


def sort_items(items) -> list[TodoItem]:
    """Keep items with something to count, most urgent first (stable within an urgency)."""
    return sorted((item for item in items if item.count), key=lambda item: item.urgency)


def pace_fraction(today: datetime.date) -> Decimal:
    """Day of year ÷ days in the year: the share of the year's hours due by *today*."""
    days = 366 if calendar.isleap(today.year) else 365
    return Decimal(today.timetuple().tm_yday) / Decimal(days)


def hours_due_by(required: Decimal, today: datetime.date) -> Decimal:
    """The hours a member should have by *today*, to one decimal."""
    return (required * pace_fraction(today)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _count_and_first(rows: QuerySet, order: tuple[str, ...], field: str) -> tuple[int, object]:
    """The number of *rows* and *field* of the first in *order*; one query however many rows match."""
    first = rows.annotate(total=Window(Count("pk"))).order_by(*order).values_list("total", field)[:1]
    found = list(first)
    return (found[0][0], found[0][1]) if found else (0, None)


# --- a branch committee ----------------------------------------------------


def committee_todo(branch_ids: QuerySet, *, year: int, today: datetime.date, now: datetime.datetime) -> list[TodoItem]:
    """Return the committee's to-do items over the branches *branch_ids* (a pk subquery), most urgent first.

    Seven queries whatever the number of branches, members and records.
    """
    items: list[TodoItem] = []
    notes = StudyNote.objects.filter(status=StudyNote.Status.SUBMITTED, member__branch_id__in=branch_ids).aggregate(
        n=Count("pk"), oldest=Min("submitted_at")
    )
    if notes["n"]:
        stale = notes["oldest"] is not None and notes["oldest"] < now - datetime.timedelta(days=REVIEW_DAYS)
        items.append(
            TodoItem(
                "notes",
                _("Study notes waiting for review"),
                notes["n"],
                reverse("selfstudy:review_queue"),
                OVERDUE if stale else WAITING,
                _("the oldest has waited more than %(days)d days") % {"days": REVIEW_DAYS} if stale else "",
            )
        )

    leave_count, leave_lesson = _count_and_first(
        LeaveRequest.objects.filter(
            status=LeaveRequest.Status.PENDING, lesson__start__gt=now, member__branch_id__in=branch_ids
        ),
        ("lesson__start", "pk"),
        "lesson_id",
    )
    if leave_count:
        items.append(
            TodoItem(
                "leave",
                _("Leave requests to decide"),
                leave_count,
                reverse("training:attendance", args=[leave_lesson]),
                DECIDE,
                _("decide before the lesson starts"),
            )
        )

    invitation_count, invited_lesson = _count_and_first(
        LessonHost.objects.filter(
            status=LessonHost.Status.INVITED,
            lesson__status=Lesson.Status.PUBLISHED,
            lesson__start__gt=now,
            branch_id__in=branch_ids,
        ),
        ("lesson__start", "pk"),
        "lesson_id",
    )
    if invitation_count:
        items.append(
            TodoItem(
                "invitations",
                _("Joint-lesson invitations to answer"),
                invitation_count,
                reverse("training:lesson_detail", args=[invited_lesson]),
                DECIDE,
            )
        )

    unmarked = Attendance.objects.filter(lesson=OuterRef("pk"), status=Attendance.Status.UNMARKED)
    to_close = Lesson.objects.filter(status=Lesson.Status.PUBLISHED, end__lt=now, organiser_id__in=branch_ids).annotate(
        unmarked=Coalesce(
            Subquery(unmarked.order_by().values("lesson_id").annotate(n=Count("pk")).values("n")[:1]),
            Value(0),
            output_field=IntegerField(),
        )
    )
    close = list(
        to_close.annotate(total=Window(Count("pk")), unmarked_total=Window(Sum("unmarked")))
        .order_by("end", "pk")
        .values_list("total", "unmarked_total", "pk")[:1]
    )
    if close:
        total, unmarked_total, first = close[0]
        items.append(
            TodoItem(
                "close",
                _("Lessons to close"),
                total,
                reverse("training:attendance", args=[first]),
                OVERDUE,
                ngettext(
                    "%(count)d attendance not yet marked",
                    "%(count)d attendances not yet marked",
                    unmarked_total or 0,
                )
                % {"count": unmarked_total or 0}
                if unmarked_total
                else "",
            )
        )

    make_up = AssignmentTarget.objects.filter(
        status=AssignmentTarget.Status.OPEN,
        assignment__kind=Assignment.Kind.MAKE_UP,
        assignment__due_on__lt=today,
        member__branch_id__in=branch_ids,
    ).aggregate(n=Count("pk"))["n"]
    if make_up:
        items.append(
            TodoItem(
                "make_up",
                _("Make-up study overdue"),
                make_up,
                reverse("selfstudy:assignment_list"),
                OVERDUE,
            )
        )

    week = Assignment.objects.filter(
        kind=Assignment.Kind.SELF_STUDY, branch_id__in=branch_ids, due_on__gte=today, due_on__lte=today + WEEK
    ).aggregate(
        n=Count("pk", distinct=True),
        target_total=Count("targets"),
        done=Count("targets", filter=Q(targets__status=AssignmentTarget.Status.DONE)),
    )
    if week["n"]:
        items.append(
            TodoItem(
                "assignments_week",
                _("Assignments due this week"),
                week["n"],
                reverse("selfstudy:assignment_list"),
                THIS_WEEK,
                _("%(done)d of %(total)d done") % {"done": week["done"], "total": week["target_total"]},
            )
        )

    below_count, below_branch = _count_and_first(
        MemberYearFigures.objects.filter(year=year, branch_id__in=branch_ids).filter(
            total_hours__lt=F("required_hours") * pace_fraction(today)
        ),
        ("branch_id", "member_id"),
        "branch_id",
    )
    if below_count:
        items.append(
            TodoItem(
                "below_pace",
                _("Members below the hour pace for today"),
                below_count,
                reverse("progress:branch_progress", args=[below_branch]) + "?order=progress",
                WAITING,
                _("%(percent)s%% of the year's hours are due by today")
                % {"percent": (pace_fraction(today) * 100).quantize(Decimal("1"))},
            )
        )
    return items


# --- a member --------------------------------------------------------------


@dataclass(frozen=True)
class PaceFigures:
    total: Decimal
    required: Decimal
    due_by_today: Decimal

    @property
    def behind(self) -> bool:
        return self.total < self.due_by_today

    @property
    def gap(self) -> Decimal:
        return max(self.due_by_today - self.total, Decimal("0"))


def _counted(rows: QuerySet, **filters) -> Coalesce:
    """A correlated COUNT of *rows* (already tied to OuterRef) as an integer, 0 when none."""
    rows = rows.filter(**filters).order_by().values("member_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(rows), Value(0), output_field=IntegerField())


def member_todo_counts(member: Member, *, today: datetime.date) -> dict[str, int]:
    """Count the member's open assignments and make-up study (overdue, due this week) and returned notes; one query."""
    open_targets = AssignmentTarget.objects.filter(member=OuterRef("pk"), status=AssignmentTarget.Status.OPEN)
    row = (
        Member.objects.filter(pk=member.pk)
        .annotate(
            assignments_overdue=_counted(open_targets, assignment__kind="self_study", assignment__due_on__lt=today),
            assignments_week=_counted(
                open_targets,
                assignment__kind="self_study",
                assignment__due_on__gte=today,
                assignment__due_on__lte=today + WEEK,
            ),
            make_up_overdue=_counted(open_targets, assignment__kind="make_up", assignment__due_on__lt=today),
            make_up_due=_counted(open_targets, assignment__kind="make_up", assignment__due_on__gte=today),
            notes_returned=_counted(StudyNote.objects.filter(member=OuterRef("pk")), status=StudyNote.Status.RETURNED),
        )
        .values(*MEMBER_COUNTS)
        .first()
    )
    return row or {}


def member_todo(counts: dict[str, int], pace: PaceFigures | None) -> list[TodoItem]:
    """Return the member's to-do items from *counts* (member_todo_counts) and *pace*, most urgent first."""
    assignments = reverse("selfstudy:assignment_list")
    items = [
        TodoItem("make_up_overdue", _("Make-up study overdue"), counts.get("make_up_overdue", 0), assignments, OVERDUE),
        TodoItem(
            "assignments_overdue", _("Assignments overdue"), counts.get("assignments_overdue", 0), assignments, OVERDUE
        ),
        TodoItem(
            "notes_returned",
            _("Notes returned with comments"),
            counts.get("notes_returned", 0),
            reverse("selfstudy:note_list") + "?status=returned",
            DECIDE,
        ),
        TodoItem("make_up_due", _("Make-up study to do"), counts.get("make_up_due", 0), assignments, THIS_WEEK),
        TodoItem(
            "assignments_week",
            _("Assignments due this week"),
            counts.get("assignments_week", 0),
            assignments,
            THIS_WEEK,
        ),
    ]
    if pace is not None and pace.behind:
        items.append(
            TodoItem(
                "below_pace",
                _("Hours behind today's pace"),
                1,
                reverse("progress:my_progress"),
                WAITING,
                _("%(total)s of %(due)s hours due by today") % {"total": pace.total, "due": pace.due_by_today},
                show_count=False,
            )
        )
    return sort_items(items)


# --- a member's home page --------------------------------------------------


@dataclass(frozen=True)
class MemberHome:
    progress: MemberProgress
    freshness: Freshness
    pace: PaceFigures
    todo: list[TodoItem]


# One statement for the member's home page, written out rather than built
# with the ORM: compiling nine correlated subqueries cost ≈ 16 ms of CPU per
# request, the SQL itself well under 1 ms. Plain SQL that PostgreSQL and
# SQLite both run; tests/test_home.py and training/tests/test_todo.py check
# it against the ORM definitions (member_progress, member_todo_counts).
MEMBER_HOME_SQL = """
SELECT f.*,
  EXISTS (SELECT 1 FROM members_stalefigures s
    WHERE s.year = f.year AND (s.member_id = f.member_id OR s.member_id IS NULL)) AS pending,
  (SELECT COUNT(*) FROM training_studynote n
    WHERE n.member_id = f.member_id AND n.status = %(returned)s) AS todo_notes_returned,
  COALESCE(t.due, 0) AS due, COALESCE(t.overdue, 0) AS overdue, COALESCE(t.done, 0) AS done,
  COALESCE(t.assignments_overdue, 0) AS todo_assignments_overdue,
  COALESCE(t.assignments_week, 0) AS todo_assignments_week,
  COALESCE(t.make_up_overdue, 0) AS todo_make_up_overdue,
  COALESCE(t.make_up_due, 0) AS todo_make_up_due
FROM training_memberyearfigures f
LEFT JOIN (
  SELECT tg.member_id,
    SUM(CASE WHEN tg.status = %(open)s AND a.due_on >= %(today)s THEN 1 ELSE 0 END) AS due,
    SUM(CASE WHEN tg.status = %(open)s AND a.due_on < %(today)s THEN 1 ELSE 0 END) AS overdue,
    SUM(CASE WHEN tg.status = %(done)s THEN 1 ELSE 0 END) AS done,
    SUM(CASE WHEN tg.status = %(open)s AND a.kind = %(self_study)s AND a.due_on < %(today)s THEN 1 ELSE 0 END)
      AS assignments_overdue,
    SUM(CASE WHEN tg.status = %(open)s AND a.kind = %(self_study)s AND a.due_on >= %(today)s
      AND a.due_on <= %(week_end)s THEN 1 ELSE 0 END) AS assignments_week,
    SUM(CASE WHEN tg.status = %(open)s AND a.kind = %(make_up)s AND a.due_on < %(today)s THEN 1 ELSE 0 END)
      AS make_up_overdue,
    SUM(CASE WHEN tg.status = %(open)s AND a.kind = %(make_up)s AND a.due_on >= %(today)s THEN 1 ELSE 0 END)
      AS make_up_due
  FROM training_assignmenttarget tg JOIN training_assignment a ON a.id = tg.assignment_id
  WHERE tg.member_id = %(member)s
  GROUP BY tg.member_id
) t ON t.member_id = f.member_id
WHERE f.member_id = %(member)s AND f.year = %(year)s
"""


def member_home(member: Member, *, year: int, today: datetime.date) -> MemberHome:
    """Return the member's progress, figures' freshness, pace and to-do items; one query with a ledger row.

    The ledger row carries the hours; open assignments, returned notes and
    a pending recount come in the same statement (MEMBER_HOME_SQL).
    """
    params = {
        "member": member.pk,
        "year": year,
        "today": today,
        "week_end": today + WEEK,
        "open": AssignmentTarget.Status.OPEN.value,
        "done": AssignmentTarget.Status.DONE.value,
        "self_study": Assignment.Kind.SELF_STUDY.value,
        "make_up": Assignment.Kind.MAKE_UP.value,
        "returned": StudyNote.Status.RETURNED.value,
    }
    figures = next(iter(MemberYearFigures.objects.raw(MEMBER_HOME_SQL, params)), None)
    if figures is None:
        # Not counted yet (a new member, or the recount is pending): read live.
        progress = member_progress(member, year, today=today)
        freshness = Freshness(computed_at=None, pending=True)
        counts = member_todo_counts(member, today=today)
    else:
        assignments = {member.pk: AssignmentCounts(int(figures.due), int(figures.overdue), int(figures.done))}
        progress = progress_from_ledger(figures, member, today, assignments)
        freshness = Freshness(computed_at=figures.computed_at, pending=bool(figures.pending))
        # The ledger has its own notes_returned (of the year); the to-do counts every returned note.
        counts = {key: int(getattr(figures, f"todo_{key}")) for key in MEMBER_COUNTS}
    pace = PaceFigures(
        total=progress.total, required=progress.requirement, due_by_today=hours_due_by(progress.requirement, today)
    )
    return MemberHome(progress=progress, freshness=freshness, pace=pace, todo=member_todo(counts, pace))
