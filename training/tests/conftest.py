import datetime

import pytest
from django.utils import timezone

from members.models import Member
from training.models import LessonHost
from training.services.lessons import audience_sync
from training.tests.factories import LessonFactory


@pytest.fixture
def lesson_a(branch_a, secretary, member):
    """A published lesson of branch A starting in two hours, with its audience."""
    start = timezone.now() + datetime.timedelta(hours=2)
    lesson = LessonFactory(
        organiser=branch_a, start=start, end=start + datetime.timedelta(hours=2), title="党课：学习党章"
    )
    audience_sync(lesson=lesson)
    return lesson


@pytest.fixture
def joint_lesson(lesson_a, branch_b, outsider):
    """Lesson A with branch B invited (not yet answered)."""
    LessonHost.objects.create(lesson=lesson_a, branch=branch_b)
    return lesson_a


def member_of(user) -> Member:
    return Member.objects.get(user=user)
