import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from members.models import Member, Notification
from members.services.notifications import mark_read
from training.models import Assignment, AssignmentTarget, Attendance, Lesson
from training.services.lessons import audience_sync
from training.services.reminders import (
    absence_warnings_send,
    assignment_reminders_send,
    escalate_unread_lesson_reminders,
    lesson_reminders_send,
)
from training.tests.conftest import member_of
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db


def reminders(kind="lesson_reminder", channel="in_app"):
    return sorted(Notification.objects.filter(kind=kind, channel=channel).values_list("dedup_key", flat=True))


def test_lesson_reminders_24h_then_1h_not_to_members_on_leave_and_never_twice(branch_a, member, secretary):
    lesson = LessonFactory(organiser=branch_a, start=at(2026, 12, 10, 14), end=at(2026, 12, 10, 16))
    audience_sync(lesson=lesson)
    Attendance.objects.filter(lesson=lesson, member=member_of(secretary)).update(status="leave")
    with time_machine.travel(at(2026, 12, 9, 15)):
        assert lesson_reminders_send() >= 1
        assert lesson_reminders_send() == 0  # the same sweep again sends nothing new
    zhang = member_of(member).pk
    assert reminders() == [f"lesson_reminder:lesson:{lesson.pk}:{zhang}:24h:in_app"]
    with time_machine.travel(at(2026, 12, 10, 13, 30)):
        lesson_reminders_send()
    assert reminders() == sorted(f"lesson_reminder:lesson:{lesson.pk}:{zhang}:{p}:in_app" for p in ("24h", "1h"))


def test_no_reminders_for_drafts_or_far_lessons(branch_a, member):
    far = LessonFactory(organiser=branch_a, start=at(2026, 12, 20, 9))
    draft = LessonFactory(organiser=branch_a, start=at(2026, 12, 10, 9), status="draft")
    for lesson in (far, draft):
        audience_sync(lesson=lesson)
    Attendance.objects.get_or_create(lesson=draft, member=member_of(member))
    with time_machine.travel(at(2026, 12, 9, 12)):
        assert lesson_reminders_send() == 0


def test_assignment_due_soon_and_overdue_weekly(branch_a, member):
    me = member_of(member)
    soon = Assignment.objects.create(title="近期任务", due_on=datetime.date(2026, 12, 11), min_hours=Decimal("1"))
    late = Assignment.objects.create(title="逾期任务", due_on=datetime.date(2026, 12, 1), min_hours=Decimal("1"))
    far = Assignment.objects.create(title="远期任务", due_on=datetime.date(2027, 1, 30), min_hours=Decimal("1"))
    for assignment in (soon, late, far):
        AssignmentTarget.objects.create(assignment=assignment, member=me)
    assert assignment_reminders_send(today=datetime.date(2026, 12, 9)) == 2  # in-app; no email address
    assert assignment_reminders_send(today=datetime.date(2026, 12, 10)) == 0  # same week, same due date
    assert assignment_reminders_send(today=datetime.date(2026, 12, 15)) == 1  # a new week: overdue again
    assert len(reminders("assignment_due")) == 1 and len(reminders("assignment_overdue")) == 2


def test_unread_reminder_for_tomorrow_escalates_to_sms_once(branch_a, member, outsider):
    lesson = LessonFactory(organiser=branch_a, start=at(2026, 12, 10, 9), end=at(2026, 12, 10, 11))
    audience_sync(lesson=lesson)
    with time_machine.travel(at(2026, 12, 9, 10)):
        lesson_reminders_send()
    secretary_and_member = Member.objects.filter(attendances__lesson=lesson)
    reader = secretary_and_member.exclude(user__username="member").first()
    mark_read(reader)
    with time_machine.travel(at(2026, 12, 9, 20)):
        assert escalate_unread_lesson_reminders() == 1
        assert escalate_unread_lesson_reminders() == 0
    sms = Notification.objects.get(kind="lesson_escalation")
    assert sms.channel == "sms" and sms.recipient == member_of(member)
    assert timezone.localtime(sms.send_after).hour == 20  # before the quiet hours: goes now


def test_absent_twice_running_warns_the_secretary(branch_a, member, secretary):
    me = member_of(member)

    def held(day, status):
        lesson = LessonFactory(organiser=branch_a, start=at(2026, 11, day, 9), status="held")
        Attendance.objects.create(lesson=lesson, member=me, status=status)
        return lesson

    held(3, "absent")
    leave = held(10, "leave")
    assert absence_warnings_send(lesson_id=leave.pk) == 0
    third = held(17, "absent")
    assert absence_warnings_send(lesson_id=third.pk) == 0  # leave in between breaks the run
    fourth = held(24, "absent")
    assert absence_warnings_send(lesson_id=fourth.pk) == 1
    assert absence_warnings_send(lesson_id=fourth.pk) == 0
    warning = Notification.objects.get(kind="absence_warning")
    assert warning.recipient == member_of(secretary) and "张三" in warning.title


def test_closing_a_lesson_enqueues_the_absence_check_only_on_commit(
    branch_a, member, secretary, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from training.services.lessons import lesson_close

    lesson = LessonFactory(organiser=branch_a, start=timezone.now() - datetime.timedelta(hours=1))
    audience_sync(lesson=lesson)
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            lesson_close(lesson=lesson, actor=secretary)
            transaction.set_rollback(True)
    assert callbacks == []
    assert Lesson.objects.get(pk=lesson.pk).status == "published"
