"""Read side of training: the shapes lesson pages, calendars and the projector need."""

from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet

from members.models import Member
from training.models import Attendance, Feedback, LeaveRequest, Lesson, LessonHost, Question
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
    """Return the member's next lessons with their own attendance row attached."""
    mine = Attendance.objects.filter(lesson=OuterRef("pk"), member=member)
    return list(
        Lesson.objects.for_member(member)
        .filter(end__gte=now, status=Lesson.Status.PUBLISHED)
        .select_related("venue", "organiser")
        .annotate(my_status=mine.values("status")[:1])
        .order_by("start")[:limit]
    )


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
