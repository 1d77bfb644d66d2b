from decimal import Decimal

import pytest

from training.rules import default_credit_hours, meeting_rules, study_requirement_for
from training.tests.factories import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "hours", "minutes", "expected"),
    [
        ("central_study", 1, 0, "1"),
        ("central_study", 2, 0, "2"),
        ("central_study", 0, 50, "1"),
        ("central_study", 1, 20, "1.5"),
        ("central_study", 3, 30, "4"),  # half a day
        ("central_study", 7, 0, "8"),  # a full day
        ("offsite_visit", 2, 0, "2"),
        ("offsite_visit", 4, 0, "4"),
        ("expert_lecture", 6, 30, "8"),
    ],
)
def test_default_credit_hours_follow_the_regulation(kind, hours, minutes, expected):
    start = at(2026, 3, 1, 8, 0)
    end = start.replace(hour=8 + hours, minute=minutes)
    requirement = study_requirement_for(2026)
    assert default_credit_hours(kind=kind, start=start, end=end, requirement=requirement) == Decimal(expected)


def test_requirement_defaults_are_32_and_56():
    requirement = study_requirement_for(2026)
    assert (requirement.member_hours, requirement.committee_hours) == (32, 56)
    assert (requirement.full_day_hours, requirement.half_day_hours) == (8, 4)


def test_meeting_rules_defaults():
    rules = {r.kind: (r.period, r.times) for r in meeting_rules()}
    assert rules["committee_meeting"] == ("month", 1)
    assert rules["members_meeting"] == ("quarter", 1)
    assert rules["party_lesson"] == ("quarter", 1)
    assert rules["theme_day"] == ("month", 1)
    assert rules["group_meeting"] == ("month", 1)
