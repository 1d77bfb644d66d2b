"""Supervision visits (日常督查) and their rectification items (整改): writes and reads.

An item is overdue when its deadline has passed (deadline < today) and it is
not rectified; a rectified item is never overdue, however late it was done.
"today" is always the local date in Asia/Shanghai, passed in explicitly to the
selectors so that pages, dashboards and tests agree on it.
"""

import datetime
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from core.audit import audit_record, changes_between
from members.permissions import PartyRoles

from .models import RectificationEvidence, RectificationItem, SupervisionVisit

DONE = RectificationItem.Status.DONE
IN_PROGRESS = RectificationItem.Status.IN_PROGRESS
VISIT_FIELDS = ("branch", "visited_on", "inspectors", "findings")
ITEM_FIELDS = ("description", "owner", "deadline", "status", "completed_on", "note")
NEW_ITEM_FIELDS = ("description", "owner", "deadline")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".xls", ".xlsx", ".jpg", ".jpeg", ".png"})

# Visit-level filters of the list page: what is left to rectify.
STATUS_PENDING = "pending"
STATUS_OVERDUE = "overdue"
STATUS_DONE = "done"
VISIT_STATUSES = (STATUS_PENDING, STATUS_OVERDUE, STATUS_DONE)


def local_today() -> datetime.date:
    """Return today's date in the project's time zone (Asia/Shanghai)."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def _overdue(today: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}deadline__lt": today}) & ~Q(**{f"{prefix}status": DONE})


def _not_done(prefix: str = "") -> Q:
    return ~Q(**{f"{prefix}status": DONE})


def supervised_branch_ids(roles: PartyRoles) -> frozenset[int] | None:
    """Return the branches whose visits *roles* may see; None means every branch.

    Leadership sees every branch; a committee member sees the branches they
    serve; a plain member sees none.
    """
    if roles.is_leadership:
        return None
    return roles.committee_branch_ids


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


# --- reads -----------------------------------------------------------------


def visits_for_user(
    roles: PartyRoles,
    *,
    year: int | None = None,
    branch: Branch | None = None,
    status: str = "",
    today: datetime.date | None = None,
) -> QuerySet[SupervisionVisit]:
    """Return the visits *roles* may see, newest first, with item counts.

    Leadership sees every branch; a branch committee sees its branches; anyone
    else sees nothing. Each visit carries item_count, open_count (not yet
    rectified), done_count and overdue_count. *status* is one of
    VISIT_STATUSES: something left to rectify, something overdue, or all rectified.
    """
    today = today or local_today()
    visits = SupervisionVisit.objects.all()
    branch_ids = supervised_branch_ids(roles)
    if branch_ids is not None:
        visits = visits.filter(branch_id__in=branch_ids)
    if year is not None:
        visits = visits.filter(visited_on__gte=datetime.date(year, 1, 1), visited_on__lte=datetime.date(year, 12, 31))
    if branch is not None:
        visits = visits.filter(branch=branch)
    visits = visits.select_related("branch").annotate(
        item_count=Count("items"),
        open_count=Count("items", filter=_not_done("items__")),
        done_count=Count("items", filter=Q(items__status=DONE)),
        overdue_count=Count("items", filter=_overdue(today, "items__")),
    )
    if status == STATUS_PENDING:
        visits = visits.filter(open_count__gt=0)
    elif status == STATUS_OVERDUE:
        visits = visits.filter(overdue_count__gt=0)
    elif status == STATUS_DONE:
        visits = visits.filter(open_count=0)
    return visits.order_by("-visited_on", "-pk")


def visit_years(roles: PartyRoles) -> list[int]:
    """Return the years, newest first, in which *roles* can see at least one visit."""
    visits = SupervisionVisit.objects.all()
    branch_ids = supervised_branch_ids(roles)
    if branch_ids is not None:
        visits = visits.filter(branch_id__in=branch_ids)
    return [day.year for day in visits.dates("visited_on", "year", order="DESC")]


@dataclass(frozen=True)
class VisitDetail:
    visit: SupervisionVisit
    items: list[RectificationItem]  # each with is_overdue and its evidence prefetched
    item_count: int
    done_count: int
    overdue_count: int


def visit_detail(visit: SupervisionVisit, *, today: datetime.date | None = None) -> VisitDetail:
    """Return *visit* with its items (overdue flagged) and their evidence files: two queries."""
    today = today or local_today()
    items = list(
        visit.items.annotate(is_overdue=ExpressionWrapper(_overdue(today), output_field=BooleanField()))
        .prefetch_related(Prefetch("evidence", queryset=RectificationEvidence.objects.order_by("uploaded_at", "pk")))
        .order_by("deadline", "pk")
    )
    return VisitDetail(
        visit=visit,
        items=items,
        item_count=len(items),
        done_count=sum(1 for item in items if item.status == DONE),
        overdue_count=sum(1 for item in items if item.is_overdue),
    )


def overdue_items(*, today: datetime.date, branch_ids: Collection[int] | None = None) -> QuerySet[RectificationItem]:
    """Return the overdue items, oldest deadline first, with their visit and branch; None means every branch."""
    items = RectificationItem.objects.filter(_overdue(today))
    if branch_ids is not None:
        items = items.filter(visit__branch_id__in=branch_ids)
    return items.select_related("visit__branch").order_by("deadline", "pk")


def overdue_rectification_count(*, branch_ids: Collection[int] | None = None, today: datetime.date) -> int:
    """Count the overdue items of *branch_ids* (None: every branch) in one query."""
    items = RectificationItem.objects.filter(_overdue(today))
    if branch_ids is not None:
        items = items.filter(visit__branch_id__in=branch_ids)
    return items.count()


@dataclass(frozen=True)
class BranchRectificationSummary:
    branch: Branch
    visit_count: int
    item_count: int
    open_count: int  # not yet rectified: to do or in progress
    in_progress_count: int
    overdue_count: int
    done_count: int


def rectification_summary_by_branch(*, year: int, today: datetime.date) -> list[BranchRectificationSummary]:
    """Return, per organisation, the visits of *year* and the state of their items today: one query.

    Rows cover every active branch and general branch, plus any other
    organisation visited in *year*, in the organisation tree's order. Items
    count with the year of their visit, whatever their deadline.
    """
    in_year = Q(
        supervision_visits__visited_on__gte=datetime.date(year, 1, 1),
        supervision_visits__visited_on__lte=datetime.date(year, 12, 31),
    )
    prefix = "supervision_visits__items__"
    item = "supervision_visits__items"
    branches = (
        Branch.objects.annotate(
            visit_count=Count("supervision_visits", filter=in_year, distinct=True),
            item_count=Count(item, filter=in_year),
            open_count=Count(item, filter=in_year & _not_done(prefix)),
            in_progress_count=Count(item, filter=in_year & Q(**{f"{prefix}status": IN_PROGRESS})),
            overdue_count=Count(item, filter=in_year & _overdue(today, prefix)),
            done_count=Count(item, filter=in_year & Q(**{f"{prefix}status": DONE})),
        )
        .filter(Q(is_active=True, kind__in=[Branch.Kind.BRANCH, Branch.Kind.GENERAL_BRANCH]) | Q(visit_count__gt=0))
        .order_by("sort_order", "code")
    )
    return [
        BranchRectificationSummary(
            branch=branch,
            visit_count=branch.visit_count,
            item_count=branch.item_count,
            open_count=branch.open_count,
            in_progress_count=branch.in_progress_count,
            overdue_count=branch.overdue_count,
            done_count=branch.done_count,
        )
        for branch in branches
    ]
