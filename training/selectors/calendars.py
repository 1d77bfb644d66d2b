"""Read side of the lesson calendars: who sees which lessons, laid out by month or week.

Every calendar page runs one query for its lessons, whatever the number of
lessons or the size of their audience; days are those of Asia/Shanghai.
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from branches.models import Branch
from members.permissions import PartyRoles
from training.models import Lesson, LessonHost

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

MINE, BRANCH, BUREAU = "mine", "branch", "bureau"
SCOPES = (MINE, BRANCH, BUREAU)
MONTH, WEEK = "month", "week"
VIEWS = (MONTH, WEEK)

# Weeks start on Monday, as on Chinese calendars.
_MONTHS = calendar.Calendar(firstweekday=calendar.MONDAY)


@dataclass
class CalendarDay:
    date: datetime.date
    lessons: list[Lesson] = field(default_factory=list)
    in_period: bool = True
    is_today: bool = False


@dataclass
class CalendarPage:
    """Everything the calendar template shows; built by calendar_page()."""

    scope: str
    view: str
    anchor: datetime.date
    today: datetime.date
    weeks: list[list[CalendarDay]]
    previous: datetime.date
    next: datetime.date
    branch: Branch | None = None
    branches: list[Branch] = field(default_factory=list)

    @property
    def first_day(self) -> datetime.date:
        return self.weeks[0][0].date

    @property
    def last_day(self) -> datetime.date:
        return self.weeks[-1][-1].date

    @property
    def days(self) -> list[CalendarDay]:
        return [day for week in self.weeks for day in week]

    @property
    def busy_days(self) -> list[CalendarDay]:
        """Days of the period that have lessons, and today: the phone layout of the month."""
        return [day for day in self.days if day.in_period and (day.lessons or day.is_today)]

    @property
    def list_days(self) -> list[CalendarDay]:
        """Days shown as a list: every day of a week, the busy days of a month."""
        return self.days if self.view == WEEK else self.busy_days

    @property
    def lesson_count(self) -> int:
        return sum(len(day.lessons) for day in self.days if day.in_period)


# --- scopes ----------------------------------------------------------------


def default_scope(roles: PartyRoles) -> str:
    """Return the calendar a user sees first: their own, else a branch's, else the bureau's."""
    if roles.member is not None:
        return MINE
    if roles.committee_branch_ids:
        return BRANCH
    if roles.is_leadership:
        return BUREAU
    return MINE


def calendar_branches(roles: PartyRoles) -> list[Branch]:
    """Return the organisations whose calendar the user may open: all for leadership."""
    if roles.is_top_level:
        return list(Branch.objects.order_by("sort_order", "code"))
    ids = set(roles.scope_ids)
    if roles.member is not None:
        ids.add(roles.member.branch_id)
    if not ids:
        return []
    return list(Branch.objects.filter(pk__in=ids).order_by("sort_order", "code"))


def _pick_branch(roles: PartyRoles, branch_id: int | None, branches: list[Branch]) -> Branch:
    """Return the requested branch, or the user's own; 404 where the user has no role."""
    if branch_id is None:
        if roles.member is not None:
            branch_id = roles.member.branch_id
        elif roles.committee_branch_ids:
            branch_id = min(roles.committee_branch_ids)
        elif branches:
            branch_id = branches[0].pk
    for branch in branches:
        if branch.pk == branch_id:
            return branch
    raise Http404


def calendar_lessons(
    *,
    scope: str,
    roles: PartyRoles,
    branch: Branch | None = None,
    start: datetime.datetime,
    end: datetime.datetime,
) -> QuerySet[Lesson]:
    """Return the lessons of one calendar starting in [start, end), in order.

    Raise Http404 for another branch's calendar (or for "mine" without a member
    record) and PermissionDenied for the bureau calendar outside leadership.
    """
    if scope == MINE:
        if roles.member is None:
            raise Http404
        lessons = Lesson.objects.for_member(roles.member)
    elif scope == BRANCH:
        if branch is None or roles.role_in(branch.pk) is None:
            raise Http404
        lessons = _branch_lessons(roles, branch)
    elif scope == BUREAU:
        if not roles.is_leadership:
            raise PermissionDenied
        lessons = Lesson.objects.exclude(status=Lesson.Status.DRAFT)
        if not roles.is_top_level:
            lessons = lessons.hosted_by(roles.led_ids)
    else:
        raise Http404
    return lessons.in_range(start, end).select_related("venue", "organiser").order_by("start", "pk")


def _branch_lessons(roles: PartyRoles, branch: Branch) -> QuerySet[Lesson]:
    # The committee also sees its own drafts and invitations it has not
    # answered yet; everyone else sees what the branch has agreed to hold.
    hosts = LessonHost.objects.filter(lesson=OuterRef("pk"), branch_id=branch.pk)
    if branch.pk in roles.committee_branch_ids:
        hosts = hosts.filter(status__in=[LessonHost.Status.ACCEPTED, LessonHost.Status.INVITED])
        lessons = Lesson.objects.filter(Exists(hosts)).filter(
            ~Q(status=Lesson.Status.DRAFT) | Q(organiser_id=branch.pk)
        )
    else:
        # Outside the committee, the audience rule decides (no committee
        # meetings for plain members, a Party cell meeting for its cell).
        hosts = hosts.filter(status=LessonHost.Status.ACCEPTED)
        lessons = Lesson.objects.filter(Exists(hosts)).exclude(status=Lesson.Status.DRAFT).visible_to(roles)
    return lessons.annotate(host_status=Subquery(hosts.values("status")[:1]))


# --- grids -----------------------------------------------------------------


def local_midnight(day: datetime.date) -> datetime.datetime:
    """Return the aware datetime at which *day* begins in Asia/Shanghai."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=LOCAL_TZ)


def month_days(anchor: datetime.date) -> list[list[datetime.date]]:
    """Return the weeks (Monday first) that show the month of *anchor*."""
    return _MONTHS.monthdatescalendar(anchor.year, anchor.month)


def week_days(anchor: datetime.date) -> list[datetime.date]:
    """Return Monday to Sunday of the week holding *anchor*."""
    monday = anchor - datetime.timedelta(days=anchor.weekday())
    return [monday + datetime.timedelta(days=n) for n in range(7)]


def _by_local_day(lessons: Iterable[Lesson]) -> dict[datetime.date, list[Lesson]]:
    days = defaultdict(list)
    for lesson in lessons:
        days[lesson.start.astimezone(LOCAL_TZ).date()].append(lesson)
    return days


def month_grid(anchor: datetime.date, lessons: Iterable[Lesson], *, today: datetime.date) -> list[list[CalendarDay]]:
    """Place *lessons* on the local day they start, in the month grid of *anchor*."""
    by_day = _by_local_day(lessons)
    return [
        [
            CalendarDay(
                date=day,
                lessons=by_day.get(day, []),
                in_period=day.month == anchor.month,
                is_today=day == today,
            )
            for day in week
        ]
        for week in month_days(anchor)
    ]


def week_grid(anchor: datetime.date, lessons: Iterable[Lesson], *, today: datetime.date) -> list[CalendarDay]:
    """Place *lessons* on the local day they start, in the week of *anchor*."""
    by_day = _by_local_day(lessons)
    return [CalendarDay(date=day, lessons=by_day.get(day, []), is_today=day == today) for day in week_days(anchor)]


def calendar_page(
    *,
    roles: PartyRoles,
    scope: str,
    view: str,
    anchor: datetime.date,
    today: datetime.date,
    branch_id: int | None = None,
) -> CalendarPage:
    """Return one month or week of a calendar, checking that the user may open it.

    Two queries: the organisations for the picker, and the lessons.
    """
    branches = calendar_branches(roles)
    branch = _pick_branch(roles, branch_id, branches) if scope == BRANCH else None
    if view == WEEK:
        days = week_days(anchor)
        previous, following = anchor - datetime.timedelta(days=7), anchor + datetime.timedelta(days=7)
    else:
        view = MONTH
        weeks = month_days(anchor)
        days = [weeks[0][0], weeks[-1][-1]]
        first = anchor.replace(day=1)
        previous = (first - datetime.timedelta(days=1)).replace(day=1)
        following = (first + datetime.timedelta(days=31)).replace(day=1)
    lessons = list(
        calendar_lessons(
            scope=scope,
            roles=roles,
            branch=branch,
            start=local_midnight(days[0]),
            end=local_midnight(days[-1] + datetime.timedelta(days=1)),
        )
    )
    if view == WEEK:
        grid = [week_grid(anchor, lessons, today=today)]
    else:
        grid = month_grid(anchor, lessons, today=today)
    return CalendarPage(
        scope=scope,
        view=view,
        anchor=anchor,
        today=today,
        weeks=grid,
        previous=previous,
        next=following,
        branch=branch,
        branches=branches,
    )
