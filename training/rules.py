"""Study-hour rules: the year's requirements and converting a lesson's length to 学时."""

from decimal import ROUND_HALF_UP, Decimal

from training.models import MeetingRule, StudyRequirement

DEFAULT_MEETING_RULES = (
    ("committee_meeting", MeetingRule.Period.MONTH, 1),
    ("group_meeting", MeetingRule.Period.MONTH, 1),
    ("theme_day", MeetingRule.Period.MONTH, 1),
    ("members_meeting", MeetingRule.Period.QUARTER, 1),
    ("party_lesson", MeetingRule.Period.QUARTER, 1),
    ("org_life_meeting", MeetingRule.Period.YEAR, 1),
)
# Kinds counted by the day (a half or full day out) rather than by the hour.
DAY_COUNTED_KINDS = frozenset({"expert_lecture", "offsite_visit", "central_group", "online_course", "seminar"})


def study_requirement_for(year: int) -> StudyRequirement:
    """Return the year's requirements, creating them with the regulation's defaults."""
    requirement, _created = StudyRequirement.objects.get_or_create(year=year)
    return requirement


def meeting_rules() -> list[MeetingRule]:
    """Return the 三会一课 frequency rules, creating the defaults on first use."""
    if not MeetingRule.objects.exists():
        MeetingRule.objects.bulk_create(
            [MeetingRule(kind=k, period=p, times=t) for k, p, t in DEFAULT_MEETING_RULES],
            ignore_conflicts=True,
        )
    return list(MeetingRule.objects.all())


def default_credit_hours(*, kind: str, start, end, requirement: StudyRequirement) -> Decimal:
    """Convert a lesson's length to 学时: full day 8, half day 4, else 1 per hour (by default)."""
    hours = Decimal((end - start).total_seconds()) / Decimal(3600)
    if hours <= 0:
        return Decimal("0")
    if kind in DAY_COUNTED_KINDS or hours >= requirement.half_day_minimum:
        if hours >= requirement.full_day_minimum:
            return requirement.full_day_hours
        if hours >= requirement.half_day_minimum:
            return requirement.half_day_hours
    per_hour = hours * requirement.session_hours_per_hour
    # Half-hour steps: a 50-minute session earns 1, not 0.83.
    return (per_hour * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2
