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
second call or a redelivered task does nothing. A row left running by a
worker that died is claimed again once it is older than the longest a task
may run. A failed compile keeps its error text; nothing is re-raised.
"""

import calendar
import datetime
import io
import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from branches.models import Branch
from core.audit import audit_record
from members.models import Member
from members.notifications import Message, notify_many
from members.permissions import LEADERSHIP_GROUP, PartyRoles
from training.pdf import html_to_pdf

from .dashboards import (
    HOUR_BUCKETS,
    _ratio,
    branch_rows,
    dashboard,
    members_below_requirement,
    overdue_assignments_by_branch,
)
from .models import CheckupReport, RectificationItem
from .supervision import local_today, overdue_items, rectification_summary_by_branch, visits_for_user

logger = logging.getLogger(__name__)

MONTH = CheckupReport.Period.MONTH
QUARTER = CheckupReport.Period.QUARTER
YEAR = CheckupReport.Period.YEAR
QUEUED = CheckupReport.Status.QUEUED
RUNNING = CheckupReport.Status.RUNNING
DONE = CheckupReport.Status.DONE
FAILED = CheckupReport.Status.FAILED
FINISHED = (DONE, FAILED)
ERROR_MAX_CHARS = 2000
# Whoever compiles sees every branch's visits; who may read the report is
# decided by the views.
ALL_BRANCHES = PartyRoles(is_authenticated=True, is_leadership=True)
XLSX_DATE = "yyyy-mm-dd"
XLSX_MONTH = "yyyy-mm"
XLSX_PERCENT = "0.0%"
XLSX_HOURS = "0.0"


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
    lessons or visits: 15 for the bureau, 22 for a branch (its rank needs
    every branch's row).
    """
    today = today or local_today()
    if start > end or start.year != end.year:
        raise ValidationError(_("A report covers days of one year, from its start to its end."), code="bad_period")
    year, span = start.year, (start, end)
    data = dashboard(year, branch_ids=None if branch is None else [branch.pk], today=today, period=span)
    ids = [row.branch.pk for row in data.rows]
    assignments = overdue_assignments_by_branch(today=today, branch_ids=ids)
    branches = [_branch_figures(row, assignments) for row in data.rows]
    # A branch's rank is its place among all branches; only its own row is kept.
    everyone = data.rows if branch is None else branch_rows(year, today=today, period=span)
    ranking = _ranking(everyone)
    ranked_of = len(ranking)
    if branch is not None:
        ranking = [r for r in ranking if r["branch_id"] == branch.pk]
    below = members_below_requirement(year, branch_ids=ids)
    items = overdue_items(today=today, branch_ids=ids)
    visits = visits_for_user(ALL_BRANCHES, year=year, branch=branch, today=today).filter(
        visited_on__gte=start, visited_on__lte=end
    )
    rectification = [
        s for s in rectification_summary_by_branch(year=year, today=today) if branch is None or s.branch.pk == branch.pk
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


# --- rendering -------------------------------------------------------------


def _hour_band_labels() -> dict[str, str]:
    return {
        "lt25": _("under 25%"),
        "lt50": _("25–50%"),
        "lt75": _("50–75%"),
        "lt100": _("75–100%"),
        "met": _("requirement met"),
    }


def summary_rows(figures: dict) -> list[tuple[str, str, object]]:
    """Return (key, label, value) for the key-figures table, in the order the PDF and XLSX show them."""
    s = figures["summary"]
    labels = [
        ("members", _("Members")),
        ("lessons_held", _("Lessons held")),
        ("lessons_planned", _("Lessons planned")),
        ("plan_done", _("Plan items done")),
        ("plan_completion", _("Plan completion")),
        ("attendance_rows", _("Attendance rows")),
        ("attended", _("Attended")),
        ("attendance_rate", _("Attendance rate")),
        ("meets_hours", _("Members meeting the hour requirement")),
        ("below_requirement", _("Members below the hour requirement")),
        ("meets_share", _("Meeting the requirement")),
        ("total_hours", _("Total hours")),
        ("notes_submitted", _("Notes submitted")),
        ("notes_passed", _("Notes passed")),
        ("notes_reviewed", _("Notes reviewed")),
        ("overdue_assignments", _("Overdue self-study assignments")),
        ("overdue_items", _("Overdue rectification items")),
        ("visits", _("Supervision visits")),
    ]
    return [(key, label, s[key]) for key, label in labels]


PERCENT_KEYS = frozenset({"plan_completion", "attendance_rate", "meets_share"})
HOUR_KEYS = frozenset({"total_hours"})


def scope_label(figures: dict) -> str:
    return figures["branch_name"] or _("Whole bureau")


BELOW_SHOWN = 200
BRANCHES_SHOWN = 60


def report_context(figures: dict) -> dict:
    """Return the template context for a report's figures: labels added, figures untouched."""
    start = datetime.date.fromisoformat(figures["start"])
    status_labels = {value: str(label) for value, label in RectificationItem.Status.choices}
    band_labels = _hour_band_labels()
    return {
        "f": figures,
        "period_label": period_label(figures["period"], start),
        "scope_label": scope_label(figures),
        "start": start,
        "end": datetime.date.fromisoformat(figures["end"]),
        "today": datetime.date.fromisoformat(figures["today"]),
        "hours_computed_at": (
            datetime.datetime.fromisoformat(figures["hours_computed_at"]) if figures["hours_computed_at"] else None
        ),
        "summary": [
            {"key": key, "label": label, "value": value, "percent": key in PERCENT_KEYS, "hours": key in HOUR_KEYS}
            for key, label, value in summary_rows(figures)
        ],
        "months": [{**m, "label": _("Month %(number)d") % {"number": m["month"]}} for m in figures["months"]],
        "hour_bands": [{**b, "label": band_labels[b["band"]]} for b in figures["hour_bands"]],
        # A bureau-wide list can run to thousands of members; the page and the
        # PDF show the first BELOW_SHOWN (by branch, fewest hours first) and the
        # XLSX keeps them all.
        "below": [
            {
                **b,
                "role_label": _("secretary or committee member") if b["role"] == "committee" else _("Party member"),
            }
            for b in figures["below"][:BELOW_SHOWN]
        ],
        "below_more": max(len(figures["below"]) - BELOW_SHOWN, 0),
        # Likewise the per-branch section tables (the ranking lists every branch).
        "branches_shown": figures["branches"][:BRANCHES_SHOWN],
        "branches_more": max(len(figures["branches"]) - BRANCHES_SHOWN, 0),
        # Branches with no visit and no item add nothing to the supervision table.
        "rectification_shown": [r for r in figures["rectification"] if r["visit_count"] or r["item_count"]],
        "overdue_items": [
            {**i, "status_label": status_labels.get(i["status"], i["status"])} for i in figures["overdue_items"]
        ],
    }


def report_html(figures: dict) -> str:
    """Return the report's body as HTML, as the page shows it."""
    return render_to_string("assessments/_report_body.html", report_context(figures))


def report_pdf(figures: dict) -> bytes:
    """Return the report as an A4 PDF with a running header and page numbers."""
    return html_to_pdf(render_to_string("assessments/report_pdf.html", report_context(figures)))


def _sheet(workbook, title: str, header: list[str], rows: list[list], formats: dict[int, str] | None = None):
    """Add a sheet with a bold, frozen header row; *formats* maps a 1-based column to a number format."""
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for column, number_format in (formats or {}).items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    return sheet


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def report_xlsx(figures: dict) -> bytes:
    """Return the report as a workbook: one sheet per section, real numbers and dates."""
    context = report_context(figures)
    workbook = Workbook()
    workbook.remove(workbook.active)
    year = figures["year"]

    facts = [
        [_("Organisation"), figures["organisation"]],
        [_("Scope"), context["scope_label"]],
        [_("Period"), context["period_label"]],
        [_("From"), context["start"]],
        [_("Until"), context["end"]],
        [_("Overdue work as of"), context["today"]],
    ]
    summary = _sheet(workbook, _("Key figures"), [_("Figure"), _("Value")], facts)
    for row in summary.iter_rows(min_row=5, max_row=7, min_col=2, max_col=2):
        row[0].number_format = XLSX_DATE
    for item in context["summary"]:
        summary.append([item["label"], item["value"]])
        if item["percent"]:
            summary.cell(row=summary.max_row, column=2).number_format = XLSX_PERCENT
        elif item["hours"]:
            summary.cell(row=summary.max_row, column=2).number_format = XLSX_HOURS

    b = figures["branches"]
    _sheet(
        workbook,
        _("Lessons held and planned"),
        [_("Branch"), _("Lessons held"), _("Lessons planned"), _("Plan items done"), _("Plan completion")],
        [[r["name"], r["lessons_held"], r["lessons_planned"], r["plan_done"], r["plan_completion"]] for r in b],
        {5: XLSX_PERCENT},
    )
    _sheet(
        workbook,
        _("Attendance"),
        [_("Branch"), _("Attendance rows"), _("Attended"), _("Attendance rate")],
        [[r["name"], r["attendance_rows"], r["attended"], r["attendance_rate"]] for r in b],
        {4: XLSX_PERCENT},
    )
    _sheet(
        workbook,
        _("Monthly trend"),
        [_("Month"), _("Lessons held"), _("Attendance rows"), _("Attended"), _("Attendance rate")],
        [
            [datetime.date(year, m["month"], 1), m["lessons"], m["rows"], m["attended"], m["attendance_rate"]]
            for m in figures["months"]
        ],
        {1: XLSX_MONTH, 5: XLSX_PERCENT},
    )
    _sheet(
        workbook,
        _("Hours against requirement"),
        [
            _("Branch"),
            _("Members"),
            _("Members meeting the hour requirement"),
            _("Members below the hour requirement"),
            _("Meeting the requirement"),
            _("Total hours"),
            _("Average hours"),
        ],
        [
            [
                r["name"],
                r["members"],
                r["meets_hours"],
                r["below_requirement"],
                r["meets_share"],
                r["total_hours"],
                r["avg_hours"],
            ]
            for r in b
        ],
        {5: XLSX_PERCENT, 6: XLSX_HOURS, 7: XLSX_HOURS},
    )
    _sheet(
        workbook,
        _("Hour bands"),
        [_("Band"), _("Members")],
        [[band["label"], band["members"]] for band in context["hour_bands"]],
    )
    _sheet(
        workbook,
        _("Study notes"),
        [_("Branch"), _("Notes submitted"), _("Notes passed"), _("Notes reviewed")],
        [[r["name"], r["notes_submitted"], r["notes_passed"], r["notes_reviewed"]] for r in b],
    )
    _sheet(
        workbook,
        _("Overdue work"),
        [_("Branch"), _("Overdue self-study assignments"), _("Overdue rectification items")],
        [[r["name"], r["overdue_assignments"], r["overdue_items"]] for r in b],
    )
    _sheet(
        workbook,
        _("Overdue items"),
        [
            _("Branch"),
            _("What must be rectified"),
            _("Responsible person"),
            _("Deadline"),
            _("Status"),
            _("Days overdue"),
        ],
        [
            [i["branch"], i["description"], i["owner"], _date(i["deadline"]), i["status_label"], i["days_overdue"]]
            for i in context["overdue_items"]
        ],
        {4: XLSX_DATE},
    )
    _sheet(
        workbook,
        _("Below requirement"),
        [
            _("Member"),
            _("Branch"),
            _("Role"),
            _("Required hours"),
            _("Total hours"),
            _("Centralised hours"),
            _("Self-study hours"),
            _("Online hours"),
            _("Hours missing"),
        ],
        [
            [
                m["member"],
                m["branch"],
                m["role_label"],
                m["required_hours"],
                m["total_hours"],
                m["centralised_hours"],
                m["self_study_hours"],
                m["online_hours"],
                m["shortfall"],
            ]
            for m in context["below"]
        ],
        dict.fromkeys(range(4, 10), XLSX_HOURS),
    )
    _sheet(
        workbook,
        _("Supervision visits"),
        [
            _("Date"),
            _("Branch"),
            _("Inspectors"),
            _("Findings"),
            _("Items"),
            _("Not yet rectified"),
            _("Overdue"),
            _("Rectified"),
        ],
        [
            [
                _date(v["visited_on"]),
                v["branch"],
                v["inspectors"],
                v["findings"],
                v["item_count"],
                v["open_count"],
                v["overdue_count"],
                v["done_count"],
            ]
            for v in figures["visits"]
        ],
        {1: XLSX_DATE},
    )
    _sheet(
        workbook,
        _("Rectification"),
        [_("Branch"), _("Visits"), _("Items"), _("Not yet rectified"), _("In progress"), _("Overdue"), _("Rectified")],
        [
            [
                r["branch"],
                r["visit_count"],
                r["item_count"],
                r["open_count"],
                r["in_progress_count"],
                r["overdue_count"],
                r["done_count"],
            ]
            for r in figures["rectification"]
        ],
    )
    _sheet(
        workbook,
        _("Branch ranking"),
        [
            _("Rank"),
            _("Branch"),
            _("Average score"),
            _("Attendance rate"),
            _("Meeting the requirement"),
            _("Plan completion"),
            _("三会一课 met"),
            _("Overdue rectification items"),
        ],
        [
            [
                r["rank"],
                r["name"],
                r["avg_score"],
                r["attendance_rate"],
                r["meets_share"],
                r["plan_completion"],
                f"{r['compliance_ok']}/{r['compliance_rules']}",
                r["overdue_items"],
            ]
            for r in figures["ranking"]
        ],
        {3: XLSX_HOURS, 4: XLSX_PERCENT, 5: XLSX_PERCENT, 6: XLSX_PERCENT},
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- writes ----------------------------------------------------------------


def _enqueue(report_id: int) -> None:
    from .tasks import compile_checkup_report

    compile_checkup_report.delay(report_id)


@transaction.atomic
def report_request(*, period: str, start: datetime.date, branch: Branch | None = None, actor) -> CheckupReport:
    """Queue a report for the period containing *start* and the scope (None: the bureau).

    A report for the same period and scope still queued or running is
    returned instead of a second one. The compile task is enqueued once the
    transaction commits.
    """
    first, last = period_bounds(period, start)
    if first > local_today():
        message = _("The period has not begun yet; choose one that has.")
        raise ValidationError({"start": ValidationError(message, code="period_in_future")})
    if branch is not None and branch.kind not in (Branch.Kind.BRANCH, Branch.Kind.GENERAL_BRANCH):
        message = _("Choose a branch, or the whole bureau.")
        raise ValidationError({"branch": ValidationError(message, code="not_a_branch")})
    alive = Q(status=QUEUED) | Q(status=RUNNING, started_at__gte=_stale_before(timezone.now()))
    pending = (
        CheckupReport.objects.select_for_update()
        .filter(alive, period=period, period_start=first, branch=branch)
        .first()
    )
    if pending is not None:
        return pending
    report = CheckupReport(
        period=period,
        period_start=first,
        period_end=last,
        branch=branch,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    report.full_clean()
    report.save()
    audit_record(
        actor=actor,
        action="checkup_report.requested",
        target=report,
        payload={"period": period, "start": str(first), "branch": report.branch_id},
    )
    transaction.on_commit(partial(_enqueue, report.pk))
    return report


def compile_monthly(today: datetime.date | None = None) -> list[CheckupReport]:
    """Queue last month's report for the bureau and every active branch; skip scopes already there.

    A failed report does not count as there, so running this again retries it.
    """
    first, last = previous_month(today or local_today())
    scopes = [None, *Branch.objects.branches_only().active().order_by("sort_order", "code")]
    created = []
    with transaction.atomic():
        there = set(
            CheckupReport.objects.filter(period=MONTH, period_start=first)
            .exclude(status=FAILED)
            .values_list("branch_id", flat=True)
        )
        for branch in scopes:
            if (branch.pk if branch else None) in there:
                continue
            report = CheckupReport.objects.create(period=MONTH, period_start=first, period_end=last, branch=branch)
            audit_record(
                actor=None,
                action="checkup_report.requested",
                target=report,
                payload={"period": MONTH, "start": str(first), "branch": report.branch_id, "schedule": "monthly"},
            )
            transaction.on_commit(partial(_enqueue, report.pk))
            created.append(report)
    return created


def _stale_before(now: datetime.datetime) -> datetime.datetime:
    # A worker that died leaves its row running; once the row is older than
    # the longest a task may run, nobody is compiling it any more.
    return now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _claim(report_id: int, now: datetime.datetime) -> bool:
    stale = _stale_before(now)
    return bool(
        CheckupReport.objects.filter(Q(status=QUEUED) | Q(status=RUNNING, started_at__lt=stale), pk=report_id).update(
            status=RUNNING, started_at=now, finished_at=None, error=""
        )
    )


def file_stem(report: CheckupReport) -> str:
    """Return the download name without extension, e.g. 督查报告-2026-03-机关第一支部."""
    if report.period == MONTH:
        when = f"{report.period_start:%Y-%m}"
    elif report.period == QUARTER:
        when = f"{report.period_start:%Y}-Q{(report.period_start.month - 1) // 3 + 1}"
    else:
        when = f"{report.period_start:%Y}"
    scope = report.branch.name if report.branch_id else _("Whole bureau")
    return f"{_('Checkup report')}-{when}-{scope}"


def leadership_members():
    """Return the members whose accounts are in leadership (or superusers): the readers of every report."""
    return (
        Member.objects.filter(Q(user__groups__name=LEADERSHIP_GROUP) | Q(user__is_superuser=True))
        .filter(user__is_active=True)
        .distinct()
    )


def _notify_ready(report: CheckupReport) -> int:
    label = period_label(report.period, report.period_start)
    scope = report.branch.name if report.branch_id else _("Whole bureau")
    message = Message(
        kind="report_ready",
        target=f"report:{report.pk}",
        period="done",
        title=_("Checkup report ready: %(scope)s, %(period)s") % {"scope": scope, "period": label},
        body=_("The report can be read online and downloaded as PDF and XLSX."),
        url=report.get_absolute_url(),
    )
    return notify_many(lambda _member: message, leadership_members(), channels=("in_app",))


def report_compile(report_id: int) -> str:
    """Compile one queued report into its figures, PDF and XLSX; return "done", "failed", "busy" or "skipped".

    Safe to call twice: only the call that claims the row compiles it. "busy"
    means another run holds the row and may still be alive; "skipped" that
    the report is finished (or gone). An error marks the report failed with
    the error text and is not re-raised. Leadership is notified in-app when
    the report is done.
    """
    started = timezone.now()
    if not _claim(report_id, started):
        busy = CheckupReport.objects.filter(pk=report_id, status=RUNNING).exists()
        return "busy" if busy else "skipped"
    report = CheckupReport.objects.select_related("branch").get(pk=report_id)
    storage = report.pdf.storage
    saved = []
    try:
        with translation.override(settings.LANGUAGE_CODE):
            figures = report_figures(
                period=report.period,
                start=report.period_start,
                end=report.period_end,
                branch=report.branch,
                today=local_today(),
            )
            stem = file_stem(report)
            pdf, xlsx = report_pdf(figures), report_xlsx(figures)
        report.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        saved.append(report.pdf.name)
        report.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
        saved.append(report.xlsx.name)
    except Exception as exc:
        logger.exception("Checkup report %s failed", report_id)
        for name in saved:
            storage.delete(name)
        CheckupReport.objects.filter(pk=report_id, status=RUNNING, started_at=started).update(
            status=FAILED, error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS], finished_at=timezone.now()
        )
        return "failed"
    finished = CheckupReport.objects.filter(pk=report_id, status=RUNNING, started_at=started).update(
        status=DONE, figures=figures, pdf=report.pdf.name, xlsx=report.xlsx.name, finished_at=timezone.now()
    )
    if not finished:  # reclaimed as stale meanwhile: the other run's files win
        for name in saved:
            storage.delete(name)
        return "skipped"
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _notify_ready(report)
    except Exception:
        logger.exception("Could not notify leadership of checkup report %s", report_id)
    return "done"


# --- reads -----------------------------------------------------------------


def reports_for_user(roles: PartyRoles):
    """Return the reports *roles* may read, newest first: all for leadership, their branches' for a committee.

    None for anyone else (the views answer 403).
    """
    reports = CheckupReport.objects.select_related("branch").order_by("-created_at", "-pk")
    if roles.is_leadership:
        return reports
    if roles.is_committee:
        return reports.filter(branch_id__in=roles.committee_branch_ids)
    return None
