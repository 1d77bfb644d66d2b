"""Writes for supervision visits and rectification items.

The reads and the overdue rule are in assessments.selectors.supervision.
"""

from collections.abc import Sequence
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from assessments.models import RectificationEvidence, RectificationItem, SupervisionVisit
from assessments.selectors.supervision import DONE, local_today
from branches.models import Branch
from core.audit import audit_record, changes_between

VISIT_FIELDS = ("branch", "visited_on", "inspectors", "findings")
ITEM_FIELDS = ("description", "owner", "deadline", "status", "completed_on", "note")
NEW_ITEM_FIELDS = ("description", "owner", "deadline")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png"})

# --- writes ----------------------------------------------------------------


def _visit_payload(visit: SupervisionVisit) -> dict:
    return {"branch": visit.branch_id, "visited_on": str(visit.visited_on), "inspectors": visit.inspectors}


def _item_payload(item: RectificationItem) -> dict:
    return {
        "visit": item.visit_id,
        "owner": item.owner,
        "deadline": str(item.deadline),
        "status": item.status,
    }


def _check_visit_date(visit: SupervisionVisit) -> None:
    if visit.visited_on and visit.visited_on > local_today():
        message = _("A visit is recorded after it took place; the date cannot be in the future.")
        raise ValidationError({"visited_on": ValidationError(message, code="visit_in_future")})


def _check_deadline(item: RectificationItem, visit: SupervisionVisit) -> None:
    if item.deadline and visit.visited_on and item.deadline < visit.visited_on:
        message = _("The deadline cannot be before the visit.")
        raise ValidationError({"deadline": ValidationError(message, code="deadline_before_visit")})


@transaction.atomic
def visit_create(*, data: dict, items: Sequence[dict], actor) -> SupervisionVisit:
    """Record a visit (branch, date, inspectors, findings) and its rectification items, all or nothing."""
    visit = SupervisionVisit(created_by=actor, **{name: data[name] for name in VISIT_FIELDS if name in data})
    _check_visit_date(visit)
    visit.full_clean()
    visit.save()
    audit_record(
        actor=actor,
        action="supervision_visit.created",
        target=visit,
        payload={**_visit_payload(visit), "items": len(items)},
    )
    for row in items:
        item_add(visit=visit, data=row, actor=actor)
    return visit


@transaction.atomic
def visit_update(*, visit: SupervisionVisit, data: dict, actor) -> SupervisionVisit:
    """Apply changed fields (branch, date, inspectors, findings) to *visit*; audit what changed."""
    visit = SupervisionVisit.objects.select_for_update().get(pk=visit.pk)
    before = model_to_dict(visit, fields=VISIT_FIELDS)
    after = {name: data[name] for name in VISIT_FIELDS if name in data}
    if "branch" in after and isinstance(after["branch"], Branch):
        after["branch"] = after["branch"].pk
    changes = changes_between(before, after)
    if not changes:
        return visit
    for name in changes:
        setattr(visit, "branch_id" if name == "branch" else name, after[name])
    _check_visit_date(visit)
    visit.full_clean()
    if "visited_on" in changes:
        earliest = visit.items.order_by("deadline").values_list("deadline", flat=True).first()
        if earliest is not None and earliest < visit.visited_on:
            message = _("An item of this visit has a deadline before the new date.")
            raise ValidationError({"visited_on": ValidationError(message, code="deadline_before_visit")})
    visit.save()
    audit_record(actor=actor, action="supervision_visit.updated", target=visit, payload=changes)
    return visit


@transaction.atomic
def item_add(*, visit: SupervisionVisit, data: dict, actor) -> RectificationItem:
    """Add a rectification item (description, responsible person, deadline) to *visit*; it starts open."""
    item = RectificationItem(visit=visit, **{name: data[name] for name in NEW_ITEM_FIELDS if name in data})
    _check_deadline(item, visit)
    item.full_clean()
    item.save()
    audit_record(actor=actor, action="rectification_item.added", target=item, payload=_item_payload(item))
    return item


@transaction.atomic
def item_update(*, item: RectificationItem, data: dict, actor) -> RectificationItem:
    """Apply changed fields to *item*; audit the change.

    Marking an item rectified sets its completion date to today (Asia/Shanghai)
    unless one is given; any other status clears it.
    """
    item = RectificationItem.objects.select_for_update(of=("self",)).select_related("visit").get(pk=item.pk)
    before = model_to_dict(item, fields=ITEM_FIELDS)
    after = {**before, **{name: data[name] for name in ITEM_FIELDS if name in data}}
    if after["status"] == DONE:
        was_done = before["status"] == DONE
        after["completed_on"] = after["completed_on"] or (before["completed_on"] if was_done else None)
        after["completed_on"] = after["completed_on"] or local_today()
        if after["completed_on"] > local_today():
            message = _("The rectification date cannot be in the future.")
            raise ValidationError({"completed_on": ValidationError(message, code="completed_in_future")})
    else:
        after["completed_on"] = None
    changes = changes_between(before, after)
    if not changes:
        return item
    for name in changes:
        setattr(item, name, after[name])
    if "deadline" in changes:
        _check_deadline(item, item.visit)
    item.full_clean()
    item.save()
    audit_record(
        actor=actor,
        action="rectification_item.updated",
        target=item,
        payload={"visit": item.visit_id, **changes},
    )
    return item


@transaction.atomic
def evidence_add(*, item: RectificationItem, upload, actor) -> RectificationEvidence:
    """Attach a file (type and size limited) that shows the rectification was done."""
    if not upload:
        raise ValidationError({"file": ValidationError(_("Choose a file to upload."), code="file_missing")})
    extension = PurePath(upload.name).suffix.lower()
    if extension not in EVIDENCE_EXTENSIONS:
        message = _("Files of type %(ext)s are not accepted. Accepted: %(allowed)s.") % {
            "ext": extension or "?",
            "allowed": " ".join(sorted(EVIDENCE_EXTENSIONS)),
        }
        raise ValidationError({"file": ValidationError(message, code="file_type")})
    if upload.size > EVIDENCE_MAX_BYTES:
        message = _("The file is larger than %(mb)d MB.") % {"mb": EVIDENCE_MAX_BYTES // 2**20}
        raise ValidationError({"file": ValidationError(message, code="file_size")})
    evidence = RectificationEvidence(item=item, file=upload, size=upload.size, uploaded_by=actor)
    evidence.full_clean()
    evidence.save()
    audit_record(
        actor=actor,
        action="rectification_evidence.added",
        target=evidence,
        payload={"item": item.pk, "name": str(evidence), "size": evidence.size},
    )
    return evidence
