"""Checkup reports (督查报告): a period's figures for the bureau or one branch, as HTML, PDF and XLSX.

Every figure comes from the dashboard selectors (dashboards.py, the same
calls the dashboard pages make, narrowed to the period) and the supervision
selectors, so a report and a dashboard never disagree; a whole-year report
holds exactly the year's dashboard figures. See dashboards.py for the
definitions. In short:

- Dated figures count within the period: lessons held, attendance, plan
  items of the period's months, notes submitted and passed (by study date),
  notes reviewed (by review time).
- Hours, members below the requirement and scores are year-to-date: the
  stored year-end assessment rows of the period's year.
- Overdue work (rectification items, self-study assignments) and the state
  of rectification are as of the day of compiling.

Compiling claims the row with a conditional UPDATE (queued → running), so a
second call or a redelivered task does nothing. The compiling run holds a
lease it renews while it works; a row whose lease lapsed (its worker died)
is taken up again by the sweep, or failed after too many starts. A failed
compile keeps its error text and can be compiled again from its page.
"""

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessments.models import CheckupReport
from assessments.selectors.dashboards import (
    HOUR_BUCKETS,
    _ratio,
    branch_rows,
    dashboard,
    members_below_requirement,
    organisation_dashboard,
    overdue_assignments_by_branch,
)
from assessments.selectors.supervision import (
    local_today,
    overdue_items,
    rectification_summary_by_branch,
    visits_for_user,
)
from branches.models import Branch
from members.permissions import PartyRoles

MONTH = CheckupReport.Period.MONTH
QUARTER = CheckupReport.Period.QUARTER
YEAR = CheckupReport.Period.YEAR
QUEUED = CheckupReport.Status.QUEUED
RUNNING = CheckupReport.Status.RUNNING
DONE = CheckupReport.Status.DONE
FAILED = CheckupReport.Status.FAILED
FINISHED = (DONE, FAILED)
# Whoever compiles sees every branch's visits; who may read the report is
# decided by the views.
ALL_BRANCHES = PartyRoles(is_authenticated=True, is_leadership=True)
# --- periods ---------------------------------------------------------------


def period_bounds(period: str, start: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day of the month, quarter or year that contains *start*."""
    if period == MONTH:
        first_month = last_month = start.month
    elif period == QUARTER:
        first_month = 3 * ((start.month - 1) // 3) + 1
        last_month = first_month + 2
    elif period == YEAR:
        first_month, last_month = 1, 12
    else:
        raise ValidationError(_("Choose a month, a quarter or a year."), code="unknown_period")
    last_day = calendar.monthrange(start.year, last_month)[1]
    return datetime.date(start.year, first_month, 1), datetime.date(start.year, last_month, last_day)


def previous_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day of the month before *today*'s."""
    return period_bounds(MONTH, today.replace(day=1) - datetime.timedelta(days=1))


def period_label(period: str, start: datetime.date) -> str:
    """Return "2026, month 3", "2026, quarter 1" or "Year 2026", in the active language."""
    if period == MONTH:
        return _("%(year)d, month %(month)d") % {"year": start.year, "month": start.month}
    if period == QUARTER:
        return _("%(year)d, quarter %(quarter)d") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}
    return _("Year %(year)d") % {"year": start.year}


# --- figures ---------------------------------------------------------------


def _hours(value) -> float:
    return round(float(value or 0), 1)


def _score(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _branch_figures(row, overdue_assignments: dict[int, int]) -> dict:
    return {
        "branch_id": row.branch.pk,
        "name": row.branch.name,
        "members": row.members,
        "lessons_held": row.lessons_held,
        "lessons_planned": row.lessons_planned,
        "plan_done": row.plan_done,
        "plan_completion": row.plan_completion,
        "attendance_rows": row.attendance_rows,
        "attended": row.attended,
        "attendance_rate": row.attendance_rate,
        "meets_hours": row.meets_hours,
        "below_requirement": row.members - row.meets_hours,
        "meets_share": row.meets_share,
        "total_hours": _hours(row.total_hours),
        "avg_hours": row.avg_hours,
        "notes_submitted": row.notes_submitted,
        "notes_passed": row.notes_passed,
        "notes_reviewed": row.notes_reviewed,
        "avg_score": _score(row.avg_score),
        "compliance_ok": row.compliance_ok,
        "compliance_rules": row.compliance_rules,
        "overdue_items": row.overdue_items,
        "overdue_assignments": overdue_assignments.get(row.branch.pk, 0),
    }


def _ranking(rows) -> list[dict]:
    """Rank branches by average score, best first, as the dashboard does; equal scores share a rank."""
    ordered = sorted(rows, key=lambda r: -(r.avg_score or 0))  # stable: ties keep the tree's order
    ranking, previous, rank = [], object(), 0
    for position, row in enumerate(ordered, start=1):
        score = _score(row.avg_score) or 0
        if score != previous:
            rank, previous = position, score
        ranking.append(
            {
                "rank": rank,
                "branch_id": row.branch.pk,
                "name": row.branch.name,
                "avg_score": _score(row.avg_score),
                "attendance_rate": row.attendance_rate,
                "meets_share": row.meets_share,
                "plan_completion": row.plan_completion,
                "compliance_ok": row.compliance_ok,
                "compliance_rules": row.compliance_rules,
                "overdue_items": row.overdue_items,
            }
        )
    return ranking


def _organisation_name() -> str:
    root = Branch.objects.filter(parent__isnull=True).order_by("sort_order", "code").values_list("name", flat=True)
    return root.first() or ""


def report_figures(
    *,
    period: str,
    start: datetime.date,
    end: datetime.date,
    branch: Branch | None = None,
    today: datetime.date | None = None,
) -> dict:
    """Return every section's figures for the period and scope (None: the bureau), JSON-ready.

    A fixed number of queries whatever the number of branches, members,
    lessons or visits (once the meeting rules exist): 14 for the bureau, 19
    for a branch (its rank needs every branch's row), 15 for an organisation
    with branches below (a 党总支, a district bureau), which covers its whole
    subtree and ranks the subtree's branches among themselves.
    """
    today = today or local_today()
    if start > end or start.year != end.year:
        raise ValidationError(_("A report covers days of one year, from its start to its end."), code="bad_period")
    year, span = start.year, (start, end)
    if branch is None:
        data = dashboard(year, today=today, period=span)
    else:
        data = organisation_dashboard(year, branch, today=today, period=span)
    ids = [row.branch.pk for row in data.rows]
    # An organisation with branches below reports on its whole subtree and ranks them among themselves.
    subtree = branch is not None and any(pk != branch.pk for pk in ids)
    assignments = overdue_assignments_by_branch(today=today, branch_ids=ids)
    branches = [_branch_figures(row, assignments) for row in data.rows]
    # A single branch's rank is its place among all branches; only its own row is kept.
    single = branch is not None and not subtree
    everyone = branch_rows(year, today=today, period=span) if single else data.rows
    ranking = _ranking(everyone)
    ranked_of = len(ranking)
    if single:
        ranking = [r for r in ranking if r["branch_id"] == branch.pk]
    below = members_below_requirement(year, branch_ids=ids)
    items = overdue_items(today=today, branch_ids=ids)
    visits = visits_for_user(ALL_BRANCHES, year=year, today=today).filter(visited_on__gte=start, visited_on__lte=end)
    if branch is not None:
        visits = visits.filter(branch__path__startswith=branch.path)
    rectification = [
        s
        for s in rectification_summary_by_branch(year=year, today=today)
        if branch is None or s.branch.path.startswith(branch.path)
    ]
    hour_bands = data.hour_distribution()
    summary = {
        "members": data.members,
        "lessons_held": data.lessons_held,
        "lessons_planned": data.lessons_planned,
        "plan_done": sum(b["plan_done"] for b in branches),
        "plan_completion": _ratio(sum(b["plan_done"] for b in branches), data.lessons_planned),
        "attendance_rows": sum(b["attendance_rows"] for b in branches),
        "attended": sum(b["attended"] for b in branches),
        "attendance_rate": data.attendance_rate,
        "meets_hours": sum(b["meets_hours"] for b in branches),
        "below_requirement": len(below),
        "meets_share": data.meets_share,
        "total_hours": _hours(sum(row.total_hours for row in data.rows)),
        "notes_submitted": data.notes_submitted,
        "notes_passed": data.notes_passed,
        "notes_reviewed": data.notes_reviewed,
        "overdue_items": data.overdue_items,
        "overdue_assignments": sum(assignments.values()),
        "visits": 0,
    }
    figures = {
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "year": year,
        "today": today.isoformat(),
        "organisation": _organisation_name(),
        "branch_id": None if branch is None else branch.pk,
        "branch_name": None if branch is None else branch.name,
        "hours_computed_at": data.computed_at.isoformat() if data.computed_at else None,
        "summary": summary,
        "branches": branches,
        "months": [
            {
                "month": m.month,
                "lessons": m.lessons,
                "rows": m.rows,
                "attended": m.attended,
                "attendance_rate": m.attendance_rate,
            }
            for m in data.months
        ],
        "hour_bands": [{"band": name, "members": hour_bands[name]} for name, _low, _high in HOUR_BUCKETS],
        "below": [
            {
                "member": a.member.full_name,
                "branch": a.branch.name,
                "role": a.role,
                "required_hours": _hours(a.required_hours),
                "total_hours": _hours(a.total_hours),
                "centralised_hours": _hours(a.centralised_hours),
                "self_study_hours": _hours(a.self_study_hours),
                "online_hours": _hours(a.online_hours),
                "shortfall": _hours(a.required_hours - a.total_hours),
            }
            for a in below
        ],
        "overdue_items": [
            {
                "branch": item.visit.branch.name,
                "visited_on": item.visit.visited_on.isoformat(),
                "description": item.description,
                "owner": item.owner,
                "deadline": item.deadline.isoformat(),
                "status": item.status,
                "days_overdue": (today - item.deadline).days,
            }
            for item in items
        ],
        "visits": [
            {
                "branch": v.branch.name,
                "visited_on": v.visited_on.isoformat(),
                "inspectors": v.inspectors,
                "findings": v.findings,
                "item_count": v.item_count,
                "open_count": v.open_count,
                "overdue_count": v.overdue_count,
                "done_count": v.done_count,
            }
            for v in visits
        ],
        "rectification": [
            {
                "branch": s.branch.name,
                "visit_count": s.visit_count,
                "item_count": s.item_count,
                "open_count": s.open_count,
                "in_progress_count": s.in_progress_count,
                "overdue_count": s.overdue_count,
                "done_count": s.done_count,
            }
            for s in rectification
        ],
        "ranking": ranking,
        "ranked_of": ranked_of,
    }
    summary["visits"] = len(figures["visits"])
    return figures


# --- reads -----------------------------------------------------------------


def reports_for_user(roles: PartyRoles):
    """Return the reports *roles* may read, newest first: all for leadership, their branches' for a committee.

    None for anyone else (the views answer 403).
    """
    reports = CheckupReport.objects.select_related("branch").order_by("-created_at", "-pk")
    if roles.is_top_level:
        return reports
    if roles.manages_members:
        return reports.filter(branch_id__in=roles.scope_ids)
    return None
