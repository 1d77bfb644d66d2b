"""Home-page to-do lists that need assessments' records: a branch committee's, and leadership's.

Scopes come from members.permissions (managed_branches, visible_branches),
so a change to who sees which organisations flows through unchanged.

Definitions (today in Asia/Shanghai), besides training.selectors.todo's:

- rectification overdue: items not rectified whose deadline is before today;
  due this week: not rectified, deadline from today to today + 6.
- branches behind on 三会一课: branches meeting fewer of the meeting rules
  than there are rules, counted up to today (training.selectors.plans).
- branches behind on hours: branches whose members in the figures ledger
  have, together, fewer hours than their requirements × the pace for today.
- reports ready: checkup reports of the scope (or the whole bureau) compiled
  in the last REPORT_DAYS days.
- confirmations waiting: branch year-end assessments submitted by the branch
  and not yet confirmed.
"""

import datetime

from django.db.models import Count, F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments.models import BranchAssessment, CheckupReport, RectificationItem
from members.permissions import managed_branches, roles_for, visible_branches
from training.models import MemberYearFigures
from training.selectors.plans import meeting_compliance_counts
from training.selectors.todo import (
    DECIDE,
    OVERDUE,
    THIS_WEEK,
    WAITING,
    WEEK,
    TodoItem,
    committee_todo,
    pace_fraction,
    sort_items,
)

REPORT_DAYS = 30
DONE = RectificationItem.Status.DONE


def committee_scope(user) -> QuerySet:
    """The branch pks whose committee work waits for *user*: the branches they manage.

    Leadership manages every branch, but its committee list is that of the
    branches where it holds a post; the bureau-wide view is leadership's own.
    """
    roles = roles_for(user)
    branches = managed_branches(user)
    if roles.is_leadership:
        branches = branches.filter(pk__in=roles.committee_branch_ids)
    return branches.values("pk")


def _rectification(branch_ids, *, today: datetime.date, week: bool = True) -> list[TodoItem]:
    """Overdue and due-this-week rectification items of *branch_ids*; one query."""
    counts = (
        RectificationItem.objects.filter(visit__branch_id__in=branch_ids)
        .exclude(status=DONE)
        .aggregate(
            overdue=Count("pk", filter=Q(deadline__lt=today)),
            week=Count("pk", filter=Q(deadline__gte=today, deadline__lte=today + WEEK)),
        )
    )
    visits = reverse("supervision:visit_list")
    items = [
        TodoItem(
            "rectification_overdue",
            _("Rectification items overdue"),
            counts["overdue"],
            visits + "?status=overdue",
            OVERDUE,
        ),
        TodoItem(
            "rectification_week",
            _("Rectification items due this week"),
            counts["week"],
            visits + "?status=pending",
            THIS_WEEK,
        ),
    ]
    # Leadership follows what is late; what is merely due is the branch's to plan.
    return items if week else items[:1]


def secretary_todo(user, *, year: int, today: datetime.date, now: datetime.datetime) -> list[TodoItem]:
    """Return what waits for *user*'s branch committees, most urgent first; eight queries."""
    scope = committee_scope(user)
    return sort_items([*committee_todo(scope, year=year, today=today, now=now), *_rectification(scope, today=today)])


def leadership_todo(user, *, year: int, today: datetime.date, now: datetime.datetime) -> list[TodoItem]:
    """Return what waits for leadership over the branches it sees, most urgent first; seven queries."""
    scope = visible_branches(user).branches_only().active()
    branch_ids = list(scope.values_list("pk", flat=True))
    dashboard = reverse("assessments:dashboard")

    compliance = meeting_compliance_counts(branch_ids, year, today)
    behind_meetings = sum(1 for met, rules in compliance.values() if met < rules)

    behind_hours = (
        MemberYearFigures.objects.filter(year=year, branch_id__in=branch_ids)
        .values("branch_id")
        .annotate(total=Sum("total_hours"), required=Sum("required_hours"))
        .filter(total__lt=F("required") * pace_fraction(today))
        .order_by()
        .count()
    )

    reports = CheckupReport.objects.filter(
        Q(branch__isnull=True) | Q(branch_id__in=branch_ids),
        status=CheckupReport.Status.DONE,
        finished_at__gte=now - datetime.timedelta(days=REPORT_DAYS),
    ).count()

    waiting = list(
        BranchAssessment.objects.filter(status=BranchAssessment.Status.SUBMITTED, branch_id__in=branch_ids)
        .order_by("submitted_at", "pk")
        .values_list("branch_id", "year")
    )
    confirm_url = dashboard
    if waiting:
        confirm_url = reverse("assessments:branch_dashboard", args=[waiting[0][0]]) + f"?year={waiting[0][1]}"

    return sort_items(
        [
            TodoItem("confirmations", _("Branch results waiting for confirmation"), len(waiting), confirm_url, DECIDE),
            TodoItem(
                "behind_meetings",
                _("Branches behind on 三会一课"),
                behind_meetings,
                f"{dashboard}?year={year}",
                WAITING,
            ),
            TodoItem(
                "behind_hours", _("Branches behind the hour pace"), behind_hours, f"{dashboard}?year={year}", WAITING
            ),
            *_rectification(branch_ids, today=today, week=False),
            TodoItem("reports", _("Checkup reports ready"), reports, reverse("reports:report_list"), WAITING),
        ]
    )
