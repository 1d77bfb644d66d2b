"""Annual study plans, plan versus actual, and 三会一课 compliance.

A lesson counts for a branch when it was held and the branch organised it or
accepted to co-host it: a joint lesson counts once for each host branch.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from training.models import Lesson, LessonHost, MeetingRule, StudyPlan, StudyPlanItem
from training.rules import meeting_rules

HELD = Lesson.Status.HELD
ZERO = Decimal("0")
PERIOD_ORDER = {MeetingRule.Period.MONTH: 0, MeetingRule.Period.QUARTER: 1, MeetingRule.Period.YEAR: 2}
KIND_ORDER = {kind: index for index, kind in enumerate(Lesson.Kind.values)}

# The organiser's host row is created accepted; testing is_organiser as well
# keeps an organiser counted even if its row was never marked accepted.
COUNTS_FOR_HOST = Q(is_organiser=True) | Q(status=LessonHost.Status.ACCEPTED)


# --- dates -----------------------------------------------------------------


def _local_today() -> datetime.date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def _year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    return _local_midnight(datetime.date(year, 1, 1)), _local_midnight(datetime.date(year + 1, 1, 1))


def _cutoff(year: int, on: datetime.date) -> datetime.date | None:
    """Return the last day of *year* counted up to *on*, or None before the year starts."""
    if on.year < year:
        return None
    return min(on, datetime.date(year, 12, 31))


# --- counting held lessons -------------------------------------------------


def held_lessons_for_branch(branch_id: int, *, year: int) -> QuerySet[Lesson]:
    """Return the held lessons counted for the branch that started in *year* (local time)."""
    start, end = _year_bounds(year)
    host = LessonHost.objects.filter(COUNTS_FOR_HOST, lesson=OuterRef("pk"), branch_id=branch_id)
    return Lesson.objects.filter(status=HELD).in_range(start, end).filter(Exists(host))


# --- plan versus actual ----------------------------------------------------


@dataclass(frozen=True)
class PlanVsActual:
    branch_id: int
    year: int
    plan: StudyPlan | None
    items: list[StudyPlanItem]  # annotated with held_count and held_hours
    unplanned: list[Lesson]
    planned_items: int
    done_items: int
    planned_hours: Decimal
    actual_hours: Decimal
    unplanned_hours: Decimal

    @property
    def completion_rate(self) -> int | None:
        """Percentage of plan items with at least one held lesson; None for an empty plan."""
        if not self.planned_items:
            return None
        return round(self.done_items * 100 / self.planned_items)

    @property
    def planned_actual_hours(self) -> Decimal:
        return self.actual_hours - self.unplanned_hours


def plan_vs_actual(branch: Branch, year: int) -> PlanVsActual:
    """Return the branch's plan items for *year* with their held lessons, and the year's totals.

    Five queries whatever the number of items or lessons.
    """
    plan = StudyPlan.objects.filter(branch=branch, year=year).first()
    held_linked = Q(lessons__status=HELD)
    items = []
    totals = {"planned_items": 0, "done_items": 0, "planned_hours": ZERO}
    if plan is not None:
        items = list(
            plan.items.annotate(
                held_count=Count("lessons", filter=held_linked),
                held_hours=Coalesce(
                    Sum("lessons__credit_hours", filter=held_linked), Value(ZERO), output_field=DecimalField()
                ),
            ).order_by("month", "pk")
        )
        has_held = Exists(Lesson.objects.filter(plan_item=OuterRef("pk"), status=HELD))
        totals = plan.items.aggregate(
            planned_items=Count("pk"),
            done_items=Count("pk", filter=Q(has_held)),
            planned_hours=Coalesce(Sum("planned_hours"), Value(ZERO), output_field=DecimalField()),
        )

    lessons = held_lessons_for_branch(branch.pk, year=year)
    hours = Coalesce(Sum("credit_hours"), Value(ZERO), output_field=DecimalField())
    if plan is None:
        actual = {**lessons.aggregate(hours=hours), "linked_hours": ZERO}
        unplanned_qs = lessons
    else:
        # A lesson linked to no item, or to another branch's item, is
        # unplanned here. A subquery, not a join, keeps unlinked lessons in
        # the total.
        in_plan = Q(plan_item_id__in=plan.items.values("pk"))
        actual = lessons.aggregate(
            hours=hours,
            linked_hours=Coalesce(Sum("credit_hours", filter=in_plan), Value(ZERO), output_field=DecimalField()),
        )
        unplanned_qs = lessons.exclude(in_plan)
    unplanned = list(unplanned_qs.order_by("start", "pk").only("pk", "title", "kind", "start", "credit_hours"))
    return PlanVsActual(
        branch_id=branch.pk,
        year=year,
        plan=plan,
        items=items,
        unplanned=unplanned,
        planned_items=totals["planned_items"],
        done_items=totals["done_items"],
        planned_hours=totals["planned_hours"],
        actual_hours=actual["hours"],
        unplanned_hours=actual["hours"] - actual["linked_hours"],
    )


# --- 三会一课 compliance ------------------------------------------------------


@dataclass(frozen=True)
class PeriodCount:
    number: int  # month 1–12, quarter 1–4, or 1 for the year
    label: str
    span: int  # months the period covers, for display
    required: int
    held: int

    @property
    def ok(self) -> bool:
        return self.held >= self.required


@dataclass(frozen=True)
class RuleCompliance:
    kind: str
    kind_label: str
    period: str
    period_label: str
    times: int
    required: int
    held: int
    periods: list[PeriodCount] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.held >= self.required

    @property
    def missing(self) -> int:
        return max(self.required - self.held, 0)

    @property
    def trailing_span(self) -> int:
        """Months of the year not covered by an elapsed period, for a 12-column table."""
        return max(12 - sum(p.span for p in self.periods), 0)


@dataclass(frozen=True)
class MeetingCompliance:
    branch_id: int
    year: int
    on: datetime.date
    months_elapsed: int
    quarters_elapsed: int
    rows: list[RuleCompliance]

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def behind_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

    @property
    def month_numbers(self) -> range:
        return range(1, 13)


def _kind_label(kind: str) -> str:
    return Lesson.Kind(kind).label if kind in KIND_ORDER else kind


def sorted_rules(rules: Iterable[MeetingRule]) -> list[MeetingRule]:
    return sorted(rules, key=lambda r: (PERIOD_ORDER.get(r.period, 9), KIND_ORDER.get(r.kind, 99), r.kind))


def _labels(rules: Iterable[MeetingRule]) -> dict:
    """The period and kind labels, translated once per call rather than once per branch and month."""
    return {
        "month": {m: _("Month %(number)d") % {"number": m} for m in range(1, 13)},
        "quarter": {q: _("Quarter %(number)d") % {"number": q} for q in range(1, 5)},
        "year": _("Whole year"),
        "kind": {rule.kind: _kind_label(rule.kind) for rule in rules},
        "period": {rule.period: rule.get_period_display() for rule in rules},
    }


def _periods_elapsed(rule: MeetingRule, months: int) -> int:
    """How many of the rule's periods have begun in the first *months* months."""
    if rule.period == MeetingRule.Period.MONTH:
        return months
    if rule.period == MeetingRule.Period.QUARTER:
        return (months + 2) // 3
    return 1 if months else 0


def _rule_compliance(rule: MeetingRule, by_month: dict[int, int], months: int, labels: dict) -> RuleCompliance:
    """Build one rule's row from held counts per month for the elapsed *months*."""
    quarters = (months + 2) // 3
    if rule.period == MeetingRule.Period.MONTH:
        periods = [PeriodCount(m, labels["month"][m], 1, rule.times, by_month.get(m, 0)) for m in range(1, months + 1)]
    elif rule.period == MeetingRule.Period.QUARTER:
        periods = [
            PeriodCount(
                q,
                labels["quarter"][q],
                3,
                rule.times,
                sum(by_month.get(m, 0) for m in range(3 * q - 2, 3 * q + 1)),
            )
            for q in range(1, quarters + 1)
        ]
    else:
        periods = [PeriodCount(1, labels["year"], 12, rule.times, sum(by_month.values()))] if months else []
    return RuleCompliance(
        kind=rule.kind,
        kind_label=labels["kind"][rule.kind],
        period=rule.period,
        period_label=labels["period"][rule.period],
        times=rule.times,
        required=rule.times * _periods_elapsed(rule, months),
        held=sum(by_month.values()),
        periods=periods,
    )


def _current_rules() -> list[MeetingRule]:
    # One query once the defaults exist; meeting_rules() creates them on first use.
    return sorted_rules(list(MeetingRule.objects.all()) or meeting_rules())


def _held_lessons(branch_ids, year: int, cutoff: datetime.date, rules):
    """The host rows of lessons held in *year* up to *cutoff* of the rules' kinds, for the branches."""
    return LessonHost.objects.filter(
        COUNTS_FOR_HOST,
        branch_id__in=branch_ids,
        lesson__status=HELD,
        lesson__kind__in=[rule.kind for rule in rules],
        lesson__start__gte=_local_midnight(datetime.date(year, 1, 1)),
        lesson__start__lt=_local_midnight(cutoff + datetime.timedelta(days=1)),
    )


def _held_by_kind_and_month(branch_ids: list[int], year: int, on: datetime.date, rules) -> tuple[int, dict]:
    """Months elapsed up to *on*, and branch → kind → month → held lessons; one query."""
    cutoff = _cutoff(year, on)
    months = cutoff.month if cutoff else 0
    counts: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    if cutoff is not None and rules:
        rows = (
            _held_lessons(branch_ids, year, cutoff, rules)
            .annotate(month=ExtractMonth("lesson__start", tzinfo=timezone.get_default_timezone()))
            .values("branch_id", "lesson__kind", "month")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            counts[row["branch_id"]][row["lesson__kind"]][row["month"]] = row["n"]
    return months, counts


def meeting_compliance_counts(
    branch_ids: Iterable[int], year: int, on: datetime.date | None = None, *, among=None
) -> dict:
    """Branch id → (rules met, rules) for *year* up to *on*: the dashboards' figure, without the detail; two queries.

    A rule is met when the lessons held so far reach its times for every
    period begun (the same judgement as the detail's RuleCompliance), so the
    held lessons are counted per branch and kind only, not per month.
    *among*, a query of the same branch ids, replaces a long id list in SQL.
    """
    branch_ids = list(dict.fromkeys(branch_ids))
    if not branch_ids:
        return {}
    rules = _current_rules()
    cutoff = _cutoff(year, on or _local_today())
    months = cutoff.month if cutoff else 0
    held: dict[tuple[int, str], int] = {}
    if cutoff is not None and rules:
        held = {
            (row["branch_id"], row["lesson__kind"]): row["n"]
            for row in _held_lessons(branch_ids if among is None else among, year, cutoff, rules)
            .values("branch_id", "lesson__kind")
            .annotate(n=Count("pk"))
            .order_by()
        }
    required = [(rule.kind, rule.times * _periods_elapsed(rule, months)) for rule in rules]
    return {
        branch_id: (sum(1 for kind, needed in required if held.get((branch_id, kind), 0) >= needed), len(rules))
        for branch_id in branch_ids
    }


def meeting_compliance_for_branches(
    branch_ids: Iterable[int], year: int, on: datetime.date | None = None
) -> dict[int, MeetingCompliance]:
    """Return branch id → 三会一课 compliance for *year* up to *on* (default: today, local).

    Two queries whatever the number of branches: the rules, then held
    lessons counted per branch, kind and month.
    """
    branch_ids = list(dict.fromkeys(branch_ids))
    on = on or _local_today()
    if not branch_ids:
        return {}
    rules = _current_rules()
    months, counts = _held_by_kind_and_month(branch_ids, year, on, rules)
    labels = _labels(rules)
    return {
        branch_id: MeetingCompliance(
            branch_id=branch_id,
            year=year,
            on=on,
            months_elapsed=months,
            quarters_elapsed=(months + 2) // 3,
            rows=[_rule_compliance(rule, counts[branch_id][rule.kind], months, labels) for rule in rules],
        )
        for branch_id in branch_ids
    }


def meeting_compliance(branch: Branch, year: int, on: datetime.date | None = None) -> MeetingCompliance:
    """Return the branch's 三会一课 compliance for *year* up to *on* (default: today, local)."""
    return meeting_compliance_for_branches([branch.pk], year, on)[branch.pk]


# --- the branch page panel -------------------------------------------------


@dataclass(frozen=True)
class BranchTrainingPanel:
    branch: Branch
    year: int
    plan: PlanVsActual
    compliance: MeetingCompliance


def branch_training_panel(
    branch: Branch, year: int, on: datetime.date | None = None, *, roles=None
) -> BranchTrainingPanel:
    """Return plan versus actual and meeting compliance of the branch for *year*, for its pages.

    With *roles* outside the branch committee and leadership, the held
    lessons listed by name are only those in the user's audience (no
    committee meeting for a plain member); the counts and hours stay whole.
    """
    plan = plan_vs_actual(branch, year)
    if roles is not None and not roles.leads(branch.pk) and branch.pk not in roles.committee_branch_ids:
        visible = set(
            Lesson.objects.visible_to(roles)
            .filter(pk__in=[lesson.pk for lesson in plan.unplanned])
            .values_list("pk", flat=True)
        )
        plan = replace(plan, unplanned=[lesson for lesson in plan.unplanned if lesson.pk in visible])
    return BranchTrainingPanel(
        branch=branch,
        year=year,
        plan=plan,
        compliance=meeting_compliance(branch, year, on),
    )
