"""A checkup report's figures as HTML, PDF and XLSX; the figures come from assessments.selectors.reports."""

import datetime

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assessments.models import RectificationItem
from assessments.selectors.reports import period_label
from core.spreadsheets import new_workbook, streamed_sheet, workbook_bytes
from training.pdf import html_to_pdf

XLSX_DATE = "yyyy-mm-dd"
XLSX_MONTH = "yyyy-mm"
XLSX_PERCENT = "0.0%"
XLSX_HOURS = "0.0"

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


# The PDF's cost is per table cell (WeasyPrint lays out, shapes and draws
# each); these caps keep a bureau report's PDF to about 12 pages whatever the
# scale. The XLSX keeps every row.
BELOW_SHOWN = 100
BRANCHES_SHOWN = 30


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
        # Likewise the per-branch section tables.
        "branches_shown": figures["branches"][:BRANCHES_SHOWN],
        "branches_more": max(len(figures["branches"]) - BRANCHES_SHOWN, 0),
        # The ranking too: at province scale it runs to thousands of branches.
        "ranking_shown": figures["ranking"][:BRANCHES_SHOWN],
        "ranking_more": max(len(figures["ranking"]) - BRANCHES_SHOWN, 0),
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


def _sheet(workbook, title: str, header: list[str], rows, formats: dict[int, str] | None = None):
    """Add a sheet with a bold, frozen header row; *formats* maps a 1-based column to a number format.

    The workbook is write-only: each row goes to the file as it is appended
    (a bureau report has thousands of rows, and an ordinary workbook keeps a
    cell object for each, then walks them all again to neutralise them).
    """
    streamed = streamed_sheet(workbook, title[:31])
    streamed.sheet.freeze_panes = "A2"
    for column in range(1, len(header) + 1):
        streamed.sheet.column_dimensions[get_column_letter(column)].width = 16
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    streamed.append([streamed.cell(label, font=bold, alignment=wrap) for label in header])
    by_index = {column - 1: number_format for column, number_format in (formats or {}).items()}
    for row in rows:
        if by_index:
            row = [
                streamed.cell(value, number_format=by_index[i]) if i in by_index else value
                for i, value in enumerate(row)
            ]
        streamed.append(row)
    return streamed


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _below_with_roles(figures: dict):
    """Every member below the requirement (the page and PDF show only the first BELOW_SHOWN), role labelled."""
    committee, member = _("secretary or committee member"), _("Party member")
    for m in figures["below"]:
        yield {**m, "role_label": committee if m["role"] == "committee" else member}


def report_xlsx(figures: dict) -> bytes:
    """Return the report as a workbook: one sheet per section, real numbers and dates."""
    context = report_context(figures)
    workbook = new_workbook(write_only=True)
    year = figures["year"]

    summary = _sheet(workbook, _("Key figures"), [_("Figure"), _("Value")], [])
    summary.append([_("Organisation"), figures["organisation"]])
    summary.append([_("Scope"), context["scope_label"]])
    summary.append([_("Period"), context["period_label"]])
    for label, day in (
        (_("From"), context["start"]),
        (_("Until"), context["end"]),
        (_("Overdue work as of"), context["today"]),
    ):
        summary.append([label, summary.cell(day, number_format=XLSX_DATE)])
    for item in context["summary"]:
        value = item["value"]
        if item["percent"]:
            value = summary.cell(value, number_format=XLSX_PERCENT)
        elif item["hours"]:
            value = summary.cell(value, number_format=XLSX_HOURS)
        summary.append([item["label"], value])

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
            for m in _below_with_roles(figures)
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
    return workbook_bytes(workbook)
