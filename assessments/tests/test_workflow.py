import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import BranchAssessment, YearEndAssessment
from assessments.services.indicators import indicators_recompute
from assessments.services.yearend import (
    branch_confirm,
    branch_reopen,
    branch_submit,
    branch_verdicts_save,
    rule_violations,
)
from branches.tests.factories import BranchFactory
from core.models import AuditEntry
from members.models import Member
from members.tests.factories import MemberFactory
from training.models import Attendance
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db
YEAR = 2026
TODAY = datetime.date(2026, 12, 20)


@pytest.fixture
def computed(branch_a, branch_b, secretary, member, outsider):
    MemberFactory.create_batch(4, branch=branch_a)
    indicators_recompute(YEAR, today=TODAY)
    return YearEndAssessment.objects.filter(branch=branch_a, year=YEAR)


def verdicts(rows, evaluation="qualified", rating=80):
    return {r.member_id: (evaluation, rating) for r in rows}


def test_violations_too_many_excellent_and_excellent_below_hours(computed, branch_a, secretary):
    rows = list(computed)
    assert len(rows) == 6
    branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts=verdicts(rows[:3], "excellent"), actor=secretary)
    branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts=verdicts(rows[3:]), actor=secretary)
    problems = rule_violations(branch_a.pk, YEAR)
    assert any("3" in p and "2" in p for p in problems)  # 3 excellent; at most 2 of 6
    assert any(rows[0].member.full_name in p for p in problems)  # nobody has the hours
    with pytest.raises(ValidationError):
        branch_submit(branch_id=branch_a.pk, year=YEAR, actor=secretary)
    assert BranchAssessment.objects.get(branch=branch_a, year=YEAR).status == "draft"


def test_submit_confirm_locks_and_reopen_needs_a_reason(computed, branch_a, secretary, leader):
    branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts=verdicts(computed), actor=secretary)
    branch_submit(branch_id=branch_a.pk, year=YEAR, actor=secretary)
    with pytest.raises(PermissionDenied):
        branch_confirm(branch_id=branch_a.pk, year=YEAR, actor=secretary, is_leadership=False)
    branch_confirm(branch_id=branch_a.pk, year=YEAR, actor=leader, is_leadership=True)
    with pytest.raises(ValidationError):
        branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts=verdicts(computed, "basic"), actor=secretary)
    assert set(computed.values_list("evaluation", flat=True)) == {"qualified"}
    # Recomputing leaves a confirmed branch alone.
    before = list(computed.order_by("pk").values_list("computed_at", flat=True))
    indicators_recompute(YEAR, today=TODAY)
    assert list(computed.order_by("pk").values_list("computed_at", flat=True)) == before
    with pytest.raises(ValidationError):
        branch_reopen(branch_id=branch_a.pk, year=YEAR, reason=" ", actor=leader, is_leadership=True)
    branch_reopen(branch_id=branch_a.pk, year=YEAR, reason="评议程序需补充", actor=leader, is_leadership=True)
    state = BranchAssessment.objects.get(branch=branch_a, year=YEAR)
    assert (state.status, state.reopen_reason) == ("draft", "评议程序需补充")


def test_every_change_is_kept_with_old_and_new_values(computed, branch_a, secretary, client, leader):
    row = computed.first()
    branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts={row.member_id: ("qualified", 70)}, actor=secretary)
    branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts={row.member_id: ("basic", 70)}, actor=secretary)
    entries = AuditEntry.objects.filter(target_type="assessments.yearendassessment", target_id=str(row.pk)).order_by(
        "pk"
    )
    assert [e.payload["evaluation"] for e in entries] == [["", "qualified"], ["qualified", "basic"]]
    assert all(e.actor == secretary for e in entries)
    client.force_login(leader)
    html = client.get(reverse("assessments:history", args=[branch_a.pk, YEAR])).content.decode()
    assert "合格 → 基本合格" in html and "qualified" not in html


def test_secretary_cannot_change_after_confirmation_through_the_page(computed, branch_a, secretary, leader, client):
    branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts=verdicts(computed), actor=secretary)
    branch_submit(branch_id=branch_a.pk, year=YEAR, actor=secretary)
    client.force_login(leader)
    client.post(reverse("assessments:confirm", args=[branch_a.pk, YEAR]))
    client.force_login(secretary)
    row = computed.first()
    response = client.post(
        reverse("assessments:verdicts", args=[branch_a.pk, YEAR]),
        {f"evaluation_{row.member_id}": "unqualified", f"rating_{row.member_id}": "10"},
    )
    assert response.status_code == 400
    row.refresh_from_db()
    assert row.evaluation == "qualified"


def test_member_writes_self_summary_until_submission(computed, member, client, branch_a, secretary):
    me = Member.objects.get(user=member)
    client.force_login(member)
    url = reverse("assessments:self_summary", args=[me.pk, YEAR])
    client.post(url, {"text": "今年坚持学习，按时参加组织生活。"})
    assert YearEndAssessment.objects.get(member=me, year=YEAR).self_summary.startswith("今年坚持学习")
    branch_verdicts_save(branch_id=branch_a.pk, year=YEAR, verdicts=verdicts(computed), actor=secretary)
    branch_submit(branch_id=branch_a.pk, year=YEAR, actor=secretary)
    client.post(url, {"text": "改写"})
    assert YearEndAssessment.objects.get(member=me, year=YEAR).self_summary.startswith("今年坚持学习")


def test_permissions(client, computed, branch_a, member, outsider, secretary, leader):
    me = Member.objects.get(user=member)
    client.force_login(outsider)
    assert client.get(reverse("assessments:member_result", args=[me.pk, YEAR])).status_code == 404
    assert client.get(reverse("assessments:branch_dashboard", args=[branch_a.pk])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("assessments:branch_dashboard", args=[branch_a.pk])).status_code == 403
    assert client.post(reverse("assessments:confirm", args=[branch_a.pk, YEAR])).status_code == 403
    client.force_login(secretary)
    client.post(reverse("assessments:confirm", args=[branch_a.pk, YEAR]))
    assert BranchAssessment.objects.filter(branch=branch_a, status="confirmed").count() == 0
    client.force_login(leader)
    response = client.post(reverse("assessments:verdicts", args=[branch_a.pk, YEAR]), {})
    assert response.status_code == 403


def _build(branches: int, members: int):
    for i in range(branches):
        branch = BranchFactory()
        people = MemberFactory.create_batch(members, branch=branch)
        lesson = LessonFactory(organiser=branch, start=at(YEAR, 3 + i % 9, 10, 9), status="held")
        Attendance.objects.bulk_create([Attendance(lesson=lesson, member=p, status="present") for p in people])
    indicators_recompute(YEAR, today=TODAY)


def _dashboard_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("assessments:dashboard"), {"year": YEAR})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_leadership_dashboard_query_count_is_fixed_and_at_most_17(client, leader):
    """Cards and charts sum the tree in SQL; the ranking is a page ordered in SQL, read in full for its rows."""
    client.force_login(leader)
    client.get(reverse("home"))
    _build(2, 5)
    _dashboard_queries(client)  # the first visit creates the year's default rules
    small = _dashboard_queries(client)
    _build(18, 50)
    large = _dashboard_queries(client)
    assert small == large <= 17


def test_recompute_query_count_does_not_grow_with_members(branch_a):
    MemberFactory.create_batch(5, branch=branch_a)
    with CaptureQueriesContext(connection) as small:
        indicators_recompute(YEAR, today=TODAY)
    MemberFactory.create_batch(60, branch=branch_a)
    with CaptureQueriesContext(connection) as large:
        indicators_recompute(YEAR, today=TODAY)
    assert len(large.captured_queries) <= len(small.captured_queries) + 1  # bulk writes may take one more batch
