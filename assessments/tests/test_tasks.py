import datetime

import pytest

from assessments.models import YearEndAssessment
from assessments.tasks import assessment_year, recompute_year_end_indicators
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_assessment_year_in_january_is_last_year():
    assert assessment_year(datetime.date(2027, 1, 5)) == 2026
    assert assessment_year(datetime.date(2026, 12, 5)) == 2026


def test_recompute_task_runs_twice_with_the_same_result(branch_a):
    MemberFactory.create_batch(3, branch=branch_a)
    assert recompute_year_end_indicators.apply(args=[2026]).get() == 3
    first = list(YearEndAssessment.objects.order_by("member_id").values("member_id", "score", "total_hours"))
    assert recompute_year_end_indicators.apply(args=[2026]).get() == 3
    assert list(YearEndAssessment.objects.order_by("member_id").values("member_id", "score", "total_hours")) == first
    assert YearEndAssessment.objects.count() == 3
