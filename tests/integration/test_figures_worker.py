"""Figures are live: a change reaches the leadership dashboard through a real worker, with no manual step."""

import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member, StaleFigures
from tests.integration.conftest import wait_for
from training.models import MemberYearFigures, StudyNote
from training.services.figures import figures_recompute_year
from training.services.study import note_review

pytestmark = pytest.mark.integration


def test_passing_a_note_shows_on_the_dashboard_within_a_minute(worker_factory, client, member, secretary, leader):
    year = timezone.localdate().year
    me = Member.objects.get(user=member)
    note = StudyNote.objects.create(
        member=me,
        title="学习党章体会",
        body="结合本职工作谈体会。" * 5,
        study_date=timezone.localdate(),
        hours=Decimal("2"),
        status=StudyNote.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    figures_recompute_year(year)
    assert MemberYearFigures.objects.get(member=me, year=year).notes_passed == 0
    worker_factory().start()

    started = time.monotonic()
    note_review(note=note, passed=True, grade="good", comment="", actor=secretary)  # commits, then kicks the worker
    counted = wait_for(
        lambda: MemberYearFigures.objects.filter(member=me, year=year, notes_passed=1, self_study_hours=2).exists()
    )
    elapsed = time.monotonic() - started

    assert counted, "the worker did not count the passed note"
    assert elapsed <= 60
    assert not StaleFigures.objects.exists()
    client.force_login(leader)
    page = client.get(reverse("assessments:dashboard"), {"year": year})
    assert page.context["data"].notes_passed == 1
    assert 'data-pending="false"' in page.content.decode()
