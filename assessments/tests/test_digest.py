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


def test_general_branch_secretary_digest_covers_the_subtree(
    gb_secretary, general_branch, general_children, branch_a, django_assert_num_queries
):
    from assessments.services.digest import subtree_digest_counts
    from branches.tests.factories import BranchFactory
    from members.tests.factories import MemberFactory

    first, second = general_children

    def note(branch):
        StudyNote.objects.create(
            member=MemberFactory(branch=branch),
            title="n",
            body="b",
            study_date=datetime.date(2026, 12, 1),
            hours=1,
            status="submitted",
        )

    note(first)
    note(branch_a)  # outside the 党总支: not counted for it
    lesson = LessonFactory(organiser=branch_a, start=at(2026, 12, 20, 9))
    LessonHost.objects.create(lesson=lesson, branch=second)
    visit = SupervisionVisit.objects.create(
        branch=general_branch, visited_on=datetime.date(2026, 11, 1), inspectors="x", findings="y"
    )
    RectificationItem.objects.create(visit=visit, description="d", owner="o", deadline=datetime.date(2026, 11, 30))
    today, now = datetime.date(2026, 12, 9), at(2026, 12, 9, 8)
    with django_assert_num_queries(5):
        counts = subtree_digest_counts([general_branch, first], today=today, now=now)
    assert dict(counts[general_branch.pk]) == {"notes": 1, "invitations": 1, "overdue": 1}
    assert dict(counts[first.pk]) == {"notes": 1}
    # More branches and more waiting work below: the same five queries.
    for n in range(3):
        note(BranchFactory(name=f"新支部{n}", code=f"gnew{n}", parent=second))
    with django_assert_num_queries(5):
        counts = subtree_digest_counts([general_branch, first], today=today, now=now)
    assert counts[general_branch.pk]["notes"] == 4
    with time_machine.travel(at(2026, 12, 9, 8)):
        secretary_digest_send()
    digest = Notification.objects.get(kind="secretary_digest", recipient__user=gb_secretary)
    assert "4" in digest.body and f"branch:{general_branch.pk}" in digest.dedup_key
