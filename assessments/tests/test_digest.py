import datetime

import pytest
import time_machine

from assessments.models import RectificationItem, SupervisionVisit
from assessments.services.digest import secretary_digest_send
from members.models import Notification
from training.models import LessonHost, StudyNote
from training.tests.conftest import member_of
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db


def test_digest_counts_what_waits_and_is_sent_once_a_day(branch_a, branch_b, member, secretary, outsider):
    StudyNote.objects.create(
        member=member_of(member),
        title="n",
        body="b",
        study_date=datetime.date(2026, 12, 1),
        hours=1,
        status="submitted",
    )
    StudyNote.objects.create(
        member=member_of(outsider),
        title="n",
        body="b",
        study_date=datetime.date(2026, 12, 1),
        hours=1,
        status="submitted",
    )
    lesson = LessonFactory(organiser=branch_b, start=at(2026, 12, 20, 9))
    LessonHost.objects.create(lesson=lesson, branch=branch_a)
    visit = SupervisionVisit.objects.create(
        branch=branch_a, visited_on=datetime.date(2026, 11, 1), inspectors="x", findings="y"
    )
    RectificationItem.objects.create(visit=visit, description="d", owner="o", deadline=datetime.date(2026, 11, 30))
    with time_machine.travel(at(2026, 12, 9, 8)):
        assert secretary_digest_send() == 1
        assert secretary_digest_send() == 0
    digest = Notification.objects.get(kind="secretary_digest")
    assert digest.recipient == member_of(secretary)
    from assessments.services.digest import digest_counts

    counts = digest_counts([branch_a.pk], today=datetime.date(2026, 12, 9), now=at(2026, 12, 9, 8))[branch_a.pk]
    assert dict(counts) == {"notes": 1, "invitations": 1, "overdue": 1}
    with time_machine.travel(at(2026, 12, 10, 8)):
        assert secretary_digest_send() == 1  # a new day, a new digest
