"""Supervision visits (日常督查) and their rectification items (整改): reads.

An item is overdue when its deadline has passed (deadline < today) and it is
not rectified; a rectified item is never overdue, however late it was done.
"today" is always the local date in Asia/Shanghai, passed in explicitly to the
selectors so that pages, dashboards and tests agree on it.
"""

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils import timezone

from assessments.models import RectificationEvidence, RectificationItem, SupervisionVisit
from branches.models import Branch
from members.permissions import PartyRoles

DONE = RectificationItem.Status.DONE
IN_PROGRESS = RectificationItem.Status.IN_PROGRESS
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

    The top level sees every branch; a scoped leadership or a committee sees
    its subtrees; a plain member sees none.
    """
    return roles.scope_ids


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
