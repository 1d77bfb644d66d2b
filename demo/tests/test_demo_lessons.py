import pytest
from django.core.management import call_command

from training.models import Attendance, Lesson, LessonHost

pytestmark = pytest.mark.django_db


def test_demo_has_a_joint_lesson_and_held_lessons_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    joint = Lesson.objects.get(title="联合党课：学习贯彻党的二十大精神")
    assert LessonHost.objects.filter(lesson=joint, is_organiser=False, status="accepted").exists()
    assert joint.attendances.count() > 20  # both branches' members are in the audience
    held = Lesson.objects.filter(status="held")
    assert held.count() > 3  # the three recent ones and the history before them
    assert not Attendance.objects.filter(lesson__in=held, status="unmarked").exists()
    counts = (Lesson.objects.count(), Attendance.objects.count(), LessonHost.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Lesson.objects.count(), Attendance.objects.count(), LessonHost.objects.count()) == counts
