"""The assessment history page speaks in labels, never in codes."""

import datetime

import pytest
from django.urls import reverse

from assessments.models import YearEndAssessment
from assessments.services.indicators import indicators_recompute
from assessments.services.yearend import branch_reopen, branch_submit, branch_verdicts_save

pytestmark = pytest.mark.django_db
YEAR = 2026


def test_history_shows_translated_actions_fields_and_values(client, branch_a, secretary, member, leader):
    indicators_recompute(YEAR, today=datetime.date(2026, 12, 20))
    rows = YearEndAssessment.objects.filter(branch=branch_a, year=YEAR)
    branch_verdicts_save(
        branch_id=branch_a.pk, year=YEAR, verdicts={r.member_id: ("qualified", 80) for r in rows}, actor=secretary
    )
    branch_submit(branch_id=branch_a.pk, year=YEAR, actor=secretary)
    branch_reopen(branch_id=branch_a.pk, year=YEAR, reason="补充评议材料", actor=leader, is_leadership=True)
    client.force_login(leader)
    html = client.get(reverse("assessments:history", args=[branch_a.pk, YEAR])).content.decode()
    table = html.split('id="history"', 1)[1]
    for code in ("assessment.verdict", "branch_assessment", "evaluation", "branch_rating", "qualified", "draft"):
        assert code not in table, code
    assert "— → 合格" in table
    assert "补充评议材料" in table and "补 →" not in table
