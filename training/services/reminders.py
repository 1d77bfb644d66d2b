"""Reminders about lessons and assignments, sent through members.notifications.

Each sweep selects what is due with a few queries and creates the
notifications in bulk; the dedup keys make a second sweep (or a second
beat) send nothing new.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.models import Member, Notification, Post
from members.services.notifications import Message, notify_many
from training.models import AssignmentTarget, Attendance, Lesson

# (period, from, to): the day-before reminder is skipped once the hour-before one is due.
WINDOWS = (
    ("24h", datetime.timedelta(hours=1), datetime.timedelta(hours=24)),
    ("1h", datetime.timedelta(0), datetime.timedelta(hours=1)),
)


def _lesson_message(lesson: Lesson, period: str) -> Message:
    start = timezone.localtime(lesson.start)
    if period == "1h":
        title = _("“%(title)s” starts within the hour, at %(time)s") % {
            "title": lesson.title,
            "time": f"{start:%H:%M}",
        }
    else:
        title = _("Reminder: “%(title)s” on %(date)s at %(time)s") % {
            "title": lesson.title,
            "date": f"{start:%m-%d}",
            "time": f"{start:%H:%M}",
        }
    body = _("Place: %(place)s. If you cannot come, ask for leave before it starts.") % {
        "place": lesson.place or _("to be announced")
    }
    return Message(
        kind="lesson_reminder",
        target=f"lesson:{lesson.pk}",
        period=period,
        title=title,
        body=body,
        url=lesson.get_absolute_url(),
    )


def lesson_reminders_send(*, now=None) -> int:
    """Remind the audience of lessons starting within 24 hours and within 1 hour; not those on leave."""
    now = now or timezone.now()
    created = 0
    for period, start_after, start_by in WINDOWS:
        rows = (
            Attendance.objects.filter(
                lesson__status="published", lesson__start__gt=now + start_after, lesson__start__lte=now + start_by
            )
            .exclude(status=Attendance.Status.LEAVE)
            .select_related("lesson", "lesson__venue", "member")
            .order_by("lesson_id")
        )
        audiences = defaultdict(list)
        lessons = {}
        for row in rows:
            audiences[row.lesson_id].append(row.member)
            lessons[row.lesson_id] = row.lesson
        for lesson_id, members in audiences.items():
            message = _lesson_message(lessons[lesson_id], period)
            created += notify_many(
                lambda _m, message=message: message, members, channels=("in_app", "email", "sms"), now=now
            )
    return created


def assignment_reminders_send(*, today=None, now=None) -> int:
    """Remind members of assignments due within three days, and weekly of overdue ones."""
    today = today or timezone.localdate()
    targets = AssignmentTarget.objects.filter(
        status="open", assignment__due_on__lte=today + datetime.timedelta(days=3)
    ).select_related("assignment", "member")
    due, overdue = [], []
    for target in targets:
        (overdue if target.assignment.due_on < today else due).append(target)
    week = "{}-W{:02d}".format(*today.isocalendar()[:2])
    by_member = {t.member_id: t for t in due}
    created = (
        notify_many(
            lambda m: Message(
                kind="assignment_due",
                target=f"assignment:{by_member[m.pk].assignment_id}",
                period="due",
                title=_("“%(title)s” is due on %(date)s")
                % {
                    "title": by_member[m.pk].assignment.title,
                    "date": by_member[m.pk].assignment.due_on,
                },
                body=_("Write a study note on it before the due date."),
                url=by_member[m.pk].assignment.get_absolute_url(),
            ),
            [t.member for t in due],
            now=now,
        )
        if due
        else 0
    )
    # One overdue reminder a week per member, listing how many are overdue.
    late = defaultdict(list)
    for target in overdue:
        late[target.member_id].append(target)
    members = {t.member_id: t.member for t in overdue}
    if late:
        created += notify_many(
            lambda m: Message(
                kind="assignment_overdue",
                target="assignments",
                period=week,
                title=ngettext("%(count)d assignment is overdue", "%(count)d assignments are overdue", len(late[m.pk]))
                % {"count": len(late[m.pk])},
                body="、".join(t.assignment.title for t in late[m.pk])[:500],
                url="/study/assignments/",
            ),
            list(members.values()),
            now=now,
        )
    return created


def escalate_unread_lesson_reminders(*, now=None) -> int:
    """Send an SMS for tomorrow's lesson to members who have not read its in-app reminder."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    unread = Notification.objects.filter(
        kind="lesson_reminder", channel="in_app", read_at__isnull=True, dedup_key__contains=":24h:"
    ).select_related("recipient")
    lesson_ids = {int(n.dedup_key.split(":")[2]) for n in unread}
    lessons = {
        lesson.pk: lesson
        for lesson in Lesson.objects.filter(pk__in=lesson_ids, status="published", start__date=tomorrow)
    }
    created = 0
    for notification in unread:
        lesson = lessons.get(int(notification.dedup_key.split(":")[2]))
        if lesson is None:
            continue
        message = _lesson_message(lesson, "24h")
        escalation = Message(
            kind="lesson_escalation",
            target=message.target,
            period="sms",
            title=message.title,
            body=message.body,
            url=message.url,
        )
        created += notify_many(
            lambda _m, e=escalation: e, [notification.recipient], channels=("sms",), escalate=True, now=now
        )
    return created


def absence_warnings_send(*, lesson_id: int, now=None) -> int:
    """After a lesson closes, tell the branch committee about members absent without leave N times running."""
    streak = settings.ABSENCE_WARNING_STREAK
    lesson = Lesson.objects.get(pk=lesson_id)
    absent = list(
        Attendance.objects.filter(lesson=lesson, status=Attendance.Status.ABSENT).values_list("member_id", flat=True)
    )
    if not absent:
        return 0
    history = (
        Attendance.objects.filter(member_id__in=absent, lesson__status="held", lesson__start__lte=lesson.start)
        .order_by("member_id", "-lesson__start")
        .values_list("member_id", "status")
    )
    recent = defaultdict(list)
    for member_id, status in history:
        if len(recent[member_id]) < streak:
            recent[member_id].append(status)
    flagged = [m for m, statuses in recent.items() if len(statuses) == streak and set(statuses) == {"absent"}]
    if not flagged:
        return 0
    members = {m.pk: m for m in Member.objects.filter(pk__in=flagged).select_related("branch")}
    on = timezone.localdate(now)
    committee = defaultdict(list)
    for post in (
        Post.objects.current(on)
        .filter(
            kind__in=["secretary", "deputy_secretary", "organising"],
            branch_id__in={m.branch_id for m in members.values()},
        )
        .select_related("member")
    ):
        committee[post.branch_id].append(post.member)
    created = 0
    for member in members.values():
        message = Message(
            kind="absence_warning",
            target=f"member:{member.pk}",
            period=f"lesson:{lesson.pk}",
            title=_("%(name)s has been absent without leave %(count)d times running")
            % {
                "name": member.full_name,
                "count": streak,
            },
            body=_("Latest: “%(title)s” on %(date)s.")
            % {
                "title": lesson.title,
                "date": timezone.localtime(lesson.start).date(),
            },
            url=f"/members/{member.pk}/",
        )
        created += notify_many(lambda _m, message=message: message, committee[member.branch_id], now=now)
    return created
