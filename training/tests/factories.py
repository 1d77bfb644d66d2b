import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from branches.tests.factories import BranchFactory
from training.models import Attendance, Lesson, LessonHost, OutsideLecturer


def at(year, month, day, hour=9, minute=0):
    """Return an aware datetime in Asia/Shanghai."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


class LessonFactory(factory.django.DjangoModelFactory):
    """A published lesson whose organiser row is created too."""

    class Meta:
        model = Lesson
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"学习活动{n}")
    kind = Lesson.Kind.CENTRAL_STUDY
    organiser = factory.SubFactory(BranchFactory)
    start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    end = factory.LazyAttribute(lambda o: o.start + datetime.timedelta(hours=2))
    credit_hours = Decimal("2")
    status = Lesson.Status.PUBLISHED

    @factory.post_generation
    def organiser_host(obj, create, extracted, **kwargs):
        if create:
            LessonHost.objects.create(lesson=obj, branch=obj.organiser, is_organiser=True, status="accepted")


class OutsideLecturerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutsideLecturer

    name = factory.Sequence(lambda n: f"讲师{n}")
    organisation = "县委党校"
    title = "副教授"


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    lesson = factory.SubFactory(LessonFactory)
    status = Attendance.Status.UNMARKED
