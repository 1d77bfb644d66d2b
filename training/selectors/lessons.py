"""Read side of training: the shapes lesson pages, calendars and the projector need."""

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from members.models import Member, Post
from members.querysets import COMMITTEE_POST_KINDS
from training.models import Attendance, Feedback, LeaveRequest, Lesson, LessonHost, Question
from training.querysets import COMMITTEE_AUDIENCE_KINDS, GROUP_AUDIENCE_KINDS, NARROW_AUDIENCE_KINDS
from training.services.lessons import lesson_audience


def lesson_list_for_user(roles, *, status: str = "", branch=None, upcoming: bool | None = None, now=None):
    """Return the lessons the user may open, with hosts loaded, newest first."""
    lessons = (
        Lesson.objects.visible_to(roles)
        .select_related("organiser", "venue", "lecturer_member", "lecturer_outside")
        .prefetch_related(Prefetch("hosts", queryset=LessonHost.objects.select_related("branch").order_by("pk")))
        .annotate(audience_count=Count("attendances", distinct=True))
    )
    if status:
        lessons = lessons.filter(status=status)
    if branch is not None:
        lessons = lessons.hosted_by([branch.pk])
    if upcoming is True:
        lessons = lessons.filter(end__gte=now)
    return lessons.order_by("-start", "-pk")


def pending_invitations_for(roles) -> QuerySet[LessonHost]:
    """Return invitations to joint lessons waiting for one of the user's branches."""
    return (
        LessonHost.objects.filter(
            branch_id__in=roles.committee_branch_ids,
            status=LessonHost.Status.INVITED,
            lesson__status=Lesson.Status.PUBLISHED,
        )
        .select_related("lesson", "lesson__organiser", "branch")
        .order_by("lesson__start")
    )


def upcoming_lessons_for_member(member: Member, *, now, limit: int = 5) -> list[Lesson]:
    """Return the member's next published lessons (not yet ended), soonest first, with my_status: their own
    attendance row's status, if any; venues loaded. Two queries at most."""
    lessons = list(Lesson.objects.raw(_upcoming_sql(), _upcoming_params(member, now, limit)))
    prefetch_related_objects([lesson for lesson in lessons if lesson.venue_id], "venue")
    return lessons


def _placeholders(name: str, values) -> str:
    return ", ".join(f"%({name}{i})s" for i in range(len(values)))


# The home page's "my upcoming lessons", written out rather than built with the ORM: building and compiling
# Lesson.objects.for_member(...) cost ≈ 8 ms of CPU on every member's home page, the SQL itself under 1 ms.
# It is the audience rule of training.querysets.LessonQuerySet.for_member, clause for clause;
# training/tests/test_upcoming_sql.py checks the two agree on every kind of audience. Plain SQL that
# PostgreSQL and SQLite both run.
@functools.cache
def _upcoming_sql() -> str:
    lesson, host, attendance = Lesson._meta.db_table, LessonHost._meta.db_table, Attendance._meta.db_table
    invited, post = Lesson.extra_audience.through._meta.db_table, Post._meta.db_table
    accepted_host = f"SELECT h.lesson_id FROM {host} h WHERE h.branch_id = %(branch)s AND h.status = %(accepted)s"
    return f"""
SELECT l.*,
  (SELECT a.status FROM {attendance} a WHERE a.lesson_id = l.id AND a.member_id = %(member)s LIMIT 1) AS my_status
FROM {lesson} l
WHERE l.status = %(published)s AND l."end" >= %(now)s AND (
  (l.kind NOT IN ({_placeholders("narrow", NARROW_AUDIENCE_KINDS)}) AND l.id IN ({accepted_host}))
  OR (l.kind IN ({_placeholders("committee", COMMITTEE_AUDIENCE_KINDS)}) AND l.id IN (
    SELECT h.lesson_id FROM {host} h WHERE h.status = %(accepted)s AND h.branch_id IN (
      SELECT p.branch_id FROM {post} p WHERE p.member_id = %(member)s
        AND p.kind IN ({_placeholders("post", COMMITTEE_POST_KINDS)})
        AND p.start_on <= %(today)s AND (p.end_on IS NULL OR p.end_on >= %(today)s))))
  OR (l.kind IN ({_placeholders("group", GROUP_AUDIENCE_KINDS)}) AND l.party_group = %(party_group)s
    AND l.id IN ({accepted_host}))
  OR l.id IN (SELECT a.lesson_id FROM {attendance} a WHERE a.member_id = %(member)s)
  OR l.id IN (SELECT i.lesson_id FROM {invited} i WHERE i.member_id = %(member)s)
)
ORDER BY l.start, l.id
LIMIT %(limit)s
"""


def _upcoming_params(member: Member, now, limit: int) -> dict:
    return {
        "member": member.pk,
        "branch": member.branch_id,
        # No cell: NULL, which equals no lesson's cell (for_member leaves the clause out).
        "party_group": member.party_group or None,
        # As the ORM would pass them: SQLite keeps naive UTC text.
        "now": connection.ops.adapt_datetimefield_value(now),
        "today": connection.ops.adapt_datefield_value(timezone.localdate(now)),
        "limit": limit,
        "published": Lesson.Status.PUBLISHED.value,
        "accepted": LessonHost.Status.ACCEPTED.value,
        **{f"narrow{i}": kind for i, kind in enumerate(NARROW_AUDIENCE_KINDS)},
        **{f"committee{i}": kind for i, kind in enumerate(COMMITTEE_AUDIENCE_KINDS)},
        **{f"group{i}": kind for i, kind in enumerate(GROUP_AUDIENCE_KINDS)},
        **{f"post{i}": kind for i, kind in enumerate(COMMITTEE_POST_KINDS)},
    }


def lesson_hosts(lesson: Lesson) -> list[LessonHost]:
    return list(lesson.hosts.select_related("branch", "responded_by").order_by("-is_organiser", "pk"))


@dataclass
class AttendanceSummary:
    total: int
    present: int
    late: int
    leave: int
    absent: int
    unmarked: int


def attendance_rows(lesson: Lesson) -> list[Attendance]:
    """Return every attendance row with member and branch, ordered for the sheet."""
    return list(
        Attendance.objects.filter(lesson=lesson)
        .select_related("member", "member__branch")
        .order_by("member__branch__sort_order", "member__branch_id", "member__name_pinyin", "member_id")
    )


def attendance_summary(lesson: Lesson) -> AttendanceSummary:
    """Count the lesson's attendance by status in one query."""
    counts = Attendance.objects.filter(lesson=lesson).aggregate(
        total=Count("pk"),
        **{s: Count("pk", filter=Q(status=s)) for s in ("present", "late", "leave", "absent", "unmarked")},
    )
    return AttendanceSummary(**counts)


def leave_requests_for(lesson: Lesson, *, branch_ids=None) -> list[LeaveRequest]:
    requests = LeaveRequest.objects.filter(lesson=lesson).select_related("member", "member__branch")
    if branch_ids is not None:
        requests = requests.filter(member__branch_id__in=branch_ids)
    return list(requests.order_by("status", "created_at"))


def feedback_summary(lesson: Lesson) -> dict:
    """Return the average rating and the number of ratings."""
    return Feedback.objects.filter(lesson=lesson).aggregate(average=Avg("rating"), count=Count("pk"))


def lesson_feedback(lesson: Lesson) -> list[Feedback]:
    return list(Feedback.objects.filter(lesson=lesson).select_related("member").order_by("-created_at"))


def lesson_questions(lesson: Lesson, *, include_hidden: bool = False) -> list[Question]:
    """The lesson's questions; those hidden from the question wall only for the organisers."""
    questions = Question.objects.filter(lesson=lesson).select_related("member", "answered_by")
    if not include_hidden:
        questions = questions.filter(is_hidden=False)
    return list(questions)


@dataclass
class Warnings:
    busy_members: list[Member]
    busy_count: int
    audience_size: int
    capacity: int | None

    @property
    def too_small(self) -> bool:
        return self.capacity is not None and self.audience_size > self.capacity

    def __bool__(self):
        return bool(self.busy_count or self.too_small)


def lesson_warnings(lesson: Lesson, *, co_host_ids=()) -> Warnings:
    """Warn of audience members booked elsewhere at the time and a venue too small.

    The audience counted here is every member of the organiser and the invited
    branches, since invitations are not answered yet when the lesson is planned.
    """
    branch_ids = {lesson.organiser_id, *co_host_ids}
    audience = Member.objects.active().filter(branch_id__in=branch_ids)
    others = Lesson.objects.live().overlapping(lesson.start, lesson.end)
    if lesson.pk:
        others = others.exclude(pk=lesson.pk)
    busy_by_host = LessonHost.objects.filter(
        lesson__in=others, branch_id=OuterRef("branch_id"), status__in=["accepted", "invited"]
    )
    busy_by_row = Attendance.objects.filter(lesson__in=others, member=OuterRef("pk"))
    busy = audience.filter(Exists(busy_by_host) | Exists(busy_by_row)).order_by("name_pinyin")
    return Warnings(
        busy_members=list(busy[:10]),
        busy_count=busy.count(),
        audience_size=audience.count() if lesson.venue_id else 0,
        capacity=lesson.venue.capacity if lesson.venue_id else None,
    )


def audience_size(lesson: Lesson) -> int:
    return lesson_audience(lesson).count()
