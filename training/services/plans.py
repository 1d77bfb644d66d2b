"""Writes for annual study plans, meeting rules and study requirements; the reads are in training.selectors.plans."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from branches.models import Branch
from core.audit import audit_record, changes_between
from members.services.figures import mark_year_stale
from training.models import MeetingRule, StudyPlan, StudyPlanItem, StudyRequirement
from training.selectors.plans import KIND_ORDER, sorted_rules

PLAN_ITEM_FIELDS = ("month", "topic", "kind", "planned_hours")
REQUIREMENT_FIELDS = (
    "member_hours",
    "committee_hours",
    "full_day_hours",
    "half_day_hours",
    "session_hours_per_hour",
    "full_day_minimum",
    "half_day_minimum",
    "note_max_hours",
    "daily_max_hours",
)

# --- services --------------------------------------------------------------


def _item_payload(item: StudyPlanItem) -> dict:
    return {
        "plan": item.plan_id,
        "month": item.month,
        "topic": item.topic,
        "kind": item.kind,
        "planned_hours": str(item.planned_hours),
    }


@transaction.atomic
def study_plan_get_or_create(*, branch: Branch, year: int, actor=None) -> StudyPlan:
    """Return the branch's plan for *year*, creating an empty one the first time."""
    plan, created = StudyPlan.objects.get_or_create(branch=branch, year=year)
    if created:
        audit_record(actor=actor, action="study_plan.created", target=plan, payload={"branch": branch.pk, "year": year})
    return plan


@transaction.atomic
def plan_item_add(*, plan: StudyPlan, data: dict, actor) -> StudyPlanItem:
    """Add an item (month, topic, kind, planned hours) to *plan*."""
    item = StudyPlanItem(plan=plan, **{name: data[name] for name in PLAN_ITEM_FIELDS if name in data})
    if item.planned_hours is not None and item.planned_hours <= 0:
        raise ValidationError(
            {"planned_hours": ValidationError(_("Planned hours must be more than zero."), code="hours_not_positive")}
        )
    item.full_clean()
    item.save()
    audit_record(actor=actor, action="study_plan_item.added", target=item, payload=_item_payload(item))
    return item


@transaction.atomic
def plan_item_delete(*, item: StudyPlanItem, actor) -> None:
    """Delete a plan item; lessons linked to it stay, and count as unplanned."""
    audit_record(actor=actor, action="study_plan_item.deleted", target=item, payload=_item_payload(item))
    item.delete()


@transaction.atomic
def meeting_rules_update(*, rows: Sequence[dict], actor) -> list[MeetingRule]:
    """Make the meeting rules equal to *rows* (kind, period, times); audit each change.

    Rules apply to every year and every branch. A kind missing from *rows*
    loses its rule.
    """
    kinds = [row["kind"] for row in rows]
    if not rows:
        raise ValidationError(_("Keep at least one meeting rule."), code="no_rules")
    if len(set(kinds)) != len(kinds):
        raise ValidationError(_("Each meeting kind may have only one rule."), code="duplicate_kind")
    unknown = [kind for kind in kinds if kind not in KIND_ORDER]
    if unknown:
        raise ValidationError(_("Unknown meeting kind: %(kind)s.") % {"kind": ", ".join(unknown)}, code="unknown_kind")
    existing = {rule.kind: rule for rule in MeetingRule.objects.select_for_update()}
    for kind in set(existing) - set(kinds):
        rule = existing.pop(kind)
        audit_record(
            actor=actor,
            action="meeting_rule.deleted",
            target=rule,
            payload={"kind": rule.kind, "period": rule.period, "times": rule.times},
        )
        rule.delete()
    for row in rows:
        wanted = {"period": row["period"], "times": row["times"]}
        rule = existing.get(row["kind"])
        if rule is None:
            rule = MeetingRule(kind=row["kind"], **wanted)
            rule.full_clean()
            rule.save()
            audit_record(actor=actor, action="meeting_rule.created", target=rule, payload={"kind": rule.kind, **wanted})
            continue
        changes = changes_between({"period": rule.period, "times": rule.times}, wanted)
        if changes:
            rule.period, rule.times = wanted["period"], wanted["times"]
            rule.full_clean()
            rule.save()
            audit_record(
                actor=actor,
                action="meeting_rule.updated",
                target=rule,
                payload={"kind": rule.kind, **changes},
            )
    return sorted_rules(MeetingRule.objects.all())


@transaction.atomic
def study_requirement_update(*, requirement: StudyRequirement, data: dict, actor) -> bool:
    """Apply changed fields to the year's study requirement; return False when none changed."""
    requirement = StudyRequirement.objects.select_for_update().get(pk=requirement.pk)
    before = model_to_dict(requirement, fields=REQUIREMENT_FIELDS)
    changes = changes_between(before, {k: v for k, v in data.items() if k in REQUIREMENT_FIELDS})
    if not changes:
        return False
    for name in changes:
        setattr(requirement, name, data[name])
    if requirement.half_day_minimum > requirement.full_day_minimum:
        message = _("A half day cannot need more hours than a full day.")
        raise ValidationError({"half_day_minimum": ValidationError(message, code="half_day_too_long")})
    if requirement.half_day_hours > requirement.full_day_hours:
        message = _("A half day cannot earn more hours than a full day.")
        raise ValidationError({"half_day_hours": ValidationError(message, code="half_day_too_many")})
    requirement.full_clean()
    requirement.save()
    mark_year_stale(requirement.year)
    audit_record(
        actor=actor,
        action="study_requirement.updated",
        target=requirement,
        payload={"year": requirement.year, **changes},
    )
    return True
