"""Checkup reports: figures from the dashboard selectors, and the PDF and XLSX hold exactly those figures.

The data set is test_figures.py's (counted by hand there), plus, for 2026:
- Branch A's study plan: items in March (done by L1), May (nothing held) and
  December (done by L3); branch B has no plan.
- 张三's passed note (dated 1 June) was reviewed on 5 June.
- A visit to A on 5 March: one item due 1 April, still to do (overdue on
  TODAY, 2027-01-15), one rectified. A visit to B on 1 September: one item due
  1 February 2027, in progress (not overdue).
- 王五's make-up study for L1 (due 10 April) is still open: overdue, in B,
  where he is now.
"""

import datetime
import re
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from assessments.exports import reports as report_exports
from assessments.exports.reports import HOUR_KEYS, PERCENT_KEYS, scope_label, summary_rows
from assessments.models import CheckupReport, SupervisionVisit
from assessments.selectors.dashboards import dashboard, overdue_assignments_by_branch
from assessments.selectors.reports import period_bounds, period_label, previous_month, report_figures
from assessments.services.indicators import indicators_recompute
from assessments.tests.known import MARCH, TODAY, YEAR, compiled
from branches.tests.factories import BranchFactory
from members.tests.factories import MemberFactory
from training.selectors.progress import branch_progress

pytestmark = pytest.mark.django_db


def pdf_lines(report: CheckupReport, *pages: int) -> list[str]:
    """The PDF's text, one string per line with runs of spaces made single."""
    args = ["pdftotext", "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    text = subprocess.run([*args, report.pdf.path, "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def one(value) -> str:
    return "—" if value is None else f"{value:.1f}"


# --- periods ---------------------------------------------------------------


def test_period_bounds_cover_the_month_quarter_or_year_containing_the_day():
    day = datetime.date(2026, 8, 17)
    assert period_bounds("month", day) == (datetime.date(2026, 8, 1), datetime.date(2026, 8, 31))
    assert period_bounds("quarter", day) == (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    assert period_bounds("year", day) == YEAR
    assert period_bounds("month", datetime.date(2028, 2, 3))[1] == datetime.date(2028, 2, 29)
    assert previous_month(datetime.date(2027, 1, 15)) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    with pytest.raises(ValidationError) as error:
        period_bounds("week", day)
    assert error.value.code == "unknown_period"


# --- figures ---------------------------------------------------------------


def test_year_report_figures_agree_with_the_dashboard(data):
    figures = report_figures(period="year", start=YEAR[0], end=YEAR[1], today=TODAY)
    board = dashboard(2026, today=TODAY)
    s = figures["summary"]
    assert (s["members"], s["lessons_held"], s["lessons_planned"]) == (board.members, board.lessons_held, 3)
    assert (s["attendance_rate"], s["meets_share"]) == (board.attendance_rate, board.meets_share) == (0.75, 0.25)
    assert (s["notes_submitted"], s["notes_passed"]) == (board.notes_submitted, board.notes_passed) == (2, 1)
    assert s["overdue_items"] == board.overdue_items == 1
    for row, mine in zip(board.rows, figures["branches"], strict=True):
        assert mine["branch_id"] == row.branch.pk
        assert [mine[k] for k in ("members", "lessons_held", "lessons_planned", "plan_done")] == [
            row.members,
            row.lessons_held,
            row.lessons_planned,
            row.plan_done,
        ]
        assert (mine["attendance_rows"], mine["attended"], mine["attendance_rate"]) == (
            row.attendance_rows,
            row.attended,
            row.attendance_rate,
        )
        assert (mine["meets_hours"], mine["avg_hours"], mine["total_hours"]) == (
            row.meets_hours,
            row.avg_hours,
            float(row.total_hours),
        )
        assert (mine["notes_submitted"], mine["notes_passed"], mine["overdue_items"]) == (
            row.notes_submitted,
            row.notes_passed,
            row.overdue_items,
        )
        assert (mine["compliance_ok"], mine["compliance_rules"]) == (row.compliance_ok, row.compliance_rules)
    assert [(m["month"], m["lessons"], m["rows"], m["attended"]) for m in figures["months"]] == [
        (m.month, m.lessons, m.rows, m.attended) for m in board.months
    ]
    assert [b["members"] for b in figures["hour_bands"]] == list(board.hour_distribution().values()) == [3, 0, 0, 0, 1]


def test_year_report_figures_counted_by_hand(data):
    figures = report_figures(period="year", start=YEAR[0], end=YEAR[1], today=TODAY)
    s = figures["summary"]
    a, b = figures["branches"]
    # Plan: A's three items; March and December have held lessons.
    assert (a["lessons_planned"], a["plan_done"], s["plan_completion"]) == (3, 2, round(2 / 3, 4))
    # 张三's passed note reviewed on 5 June; 王五's make-up open since 10 April, counted in B.
    assert (s["notes_reviewed"], a["notes_reviewed"]) == (1, 1)
    assert (a["overdue_assignments"], b["overdue_assignments"]) == (0, 1)
    assert [i["description"] for i in figures["overdue_items"]] == ["补齐学习记录"]
    assert figures["overdue_items"][0]["days_overdue"] == (TODAY - datetime.date(2026, 4, 1)).days
    assert [(v["branch"], v["item_count"], v["open_count"], v["overdue_count"]) for v in figures["visits"]] == [
        (b["name"], 1, 1, 0),
        (a["name"], 2, 1, 1),
    ]
    # Below the requirement: 书记甲 2/56, 张三 6/32 in A; 王五 3/32 in B. 李四 (33/32) meets it.
    assert [(m["member"], m["shortfall"]) for m in figures["below"]] == [
        ("书记甲", 54.0),
        ("张三", 26.0),
        ("王五", 29.0),
    ]
    assert s["below_requirement"] == s["members"] - s["meets_hours"] == 3
    assert [r["rank"] for r in figures["ranking"]] == [1, 2]


def test_month_report_counts_only_the_months_days(data):
    figures = report_figures(period="month", start=MARCH[0], end=MARCH[1], today=TODAY)
    s = figures["summary"]
    a, b = figures["branches"]
    # March: L1 only, hosted by A and B. A: 张三 present, 书记甲 late, 王五 absent (still in A).
    # B: 李四 on leave with the make-up done.
    assert (s["lessons_held"], a["lessons_held"], b["lessons_held"]) == (1, 1, 1)
    assert (a["attendance_rows"], a["attended"], b["attendance_rows"], b["attended"]) == (3, 2, 1, 1)
    assert s["attendance_rate"] == 0.75
    assert (a["lessons_planned"], a["plan_done"]) == (1, 1)
    assert (s["notes_submitted"], s["notes_passed"], s["notes_reviewed"]) == (0, 0, 0)
    assert [m["month"] for m in figures["months"]] == [3]
    assert [v["visited_on"] for v in figures["visits"]] == ["2026-03-05"]
    # Year-to-date: members and hours stay the year's.
    assert (s["members"], s["meets_hours"]) == (4, 1)


def test_quarter_report_counts_notes_by_study_date_and_review_date(data):
    start, end = period_bounds("quarter", datetime.date(2026, 5, 1))
    figures = report_figures(period="quarter", start=start, end=end, today=TODAY)
    s = figures["summary"]
    assert (s["lessons_held"], s["lessons_planned"], s["plan_done"]) == (0, 1, 0)  # L5 was never held
    assert (s["notes_submitted"], s["notes_passed"], s["notes_reviewed"]) == (2, 1, 1)


def test_branch_report_keeps_its_own_rows_and_its_rank_among_all(data):
    a = data["a"]
    figures = report_figures(period="year", start=YEAR[0], end=YEAR[1], branch=a, today=TODAY)
    board = dashboard(2026, branch_ids=[a.pk], today=TODAY)
    assert [r["branch_id"] for r in figures["branches"]] == [a.pk]
    assert figures["summary"]["lessons_held"] == board.lessons_held == 2
    assert figures["summary"]["members"] == board.members == 2
    assert [r["branch_id"] for r in figures["ranking"]] == [a.pk] and figures["ranked_of"] == 2
    assert [v["branch"] for v in figures["visits"]] == [a.name]
    assert [r["branch"] for r in figures["rectification"]] == [a.name]
    assert [m["member"] for m in figures["below"]] == ["书记甲", "张三"]


def test_overdue_assignments_agree_with_member_progress(data):
    b = data["b"]
    counted = overdue_assignments_by_branch(today=TODAY, branch_ids=[b.pk])
    assert counted == {b.pk: sum(r.assignments.overdue for r in branch_progress(b, 2026, today=TODAY))} == {b.pk: 1}


def test_report_figures_run_a_fixed_number_of_queries(data, committee):
    def count(branch=None):
        with CaptureQueriesContext(connection) as queries:
            figures = report_figures(period="month", start=MARCH[0], end=MARCH[1], branch=branch, today=TODAY)
        return len(queries), figures

    count()  # the first call creates the meeting rules
    small = count(), count(data["a"])
    for n in range(3):
        branch = BranchFactory(name=f"新支部{n}", code=f"new{n}", parent=committee)
        MemberFactory.create_batch(3, branch=branch)
        SupervisionVisit.objects.create(branch=branch, visited_on=MARCH[0], inspectors="王", findings="x")
    indicators_recompute(2026, today=TODAY)
    large = count(), count(data["a"])
    assert len(large[0][1]["branches"]) == 5 and len(large[0][1]["visits"]) == 4
    assert [n for n, _figures in large] == [n for n, _figures in small] == [13, 18]


def test_a_period_across_two_years_is_refused():
    with pytest.raises(ValidationError) as error:
        report_figures(period="quarter", start=datetime.date(2026, 12, 1), end=datetime.date(2027, 2, 28))
    assert error.value.code == "bad_period"


# --- the files -------------------------------------------------------------


def test_pdf_text_holds_exactly_the_figures(data):
    report = compiled("year", *YEAR)
    f = report.figures
    lines = pdf_lines(report)
    text = "\n".join(lines)
    with translation.override("zh-hans"):
        for key, label, value in summary_rows(f):
            shown = pct(value) if key in PERCENT_KEYS else one(value) if key in HOUR_KEYS else value
            assert f"{label} {shown}" in lines, (label, shown)
        header = f"{f['organisation']} · {scope_label(f)} · {period_label('year', YEAR[0])}"
        month_label = _("Month %(number)d")
    assert text.count(header) >= 2  # on every page
    for r in f["branches"]:
        name = r["name"]
        lessons = f"{name} {r['lessons_held']} {r['lessons_planned']} {r['plan_done']} {pct(r['plan_completion'])}"
        attendance = f"{name} {r['attendance_rows']} {r['attended']} {pct(r['attendance_rate'])}"
        hours = (
            f"{name} {r['members']} {r['meets_hours']} {r['below_requirement']} {pct(r['meets_share'])}"
            f" {one(r['total_hours'])} {one(r['avg_hours'])}"
        )
        notes = f"{name} {r['notes_submitted']} {r['notes_passed']} {r['notes_reviewed']}"
        overdue = f"{name} {r['overdue_assignments']} {r['overdue_items']}"
        for expected in (lessons, attendance, hours, notes, overdue):
            assert expected in lines, expected
    for m in f["months"]:
        # pdftotext may drop the narrow space in "3 月".
        label = re.escape(month_label % {"number": m["month"]}).replace("\\ ", " ?")
        row = re.escape(f" {m['lessons']} {m['rows']} {m['attended']} {pct(m['attendance_rate'])}")
        assert re.search(rf"^{label}{row}$", text, re.MULTILINE), m
    for m in f["below"]:
        assert re.search(
            rf"^{m['member']} {m['branch']} .*{one(m['required_hours'])} {one(m['total_hours'])} "
            rf"{one(m['centralised_hours'])} {one(m['self_study_hours'])} {one(m['online_hours'])} "
            rf"{one(m['shortfall'])}$",
            text,
            re.MULTILINE,
        ), m
    for r in f["ranking"]:
        row = (
            f"{r['rank']} {r['name']} {one(r['avg_score'])} {pct(r['attendance_rate'])} {pct(r['meets_share'])}"
            f" {pct(r['plan_completion'])} {r['compliance_ok']}/{r['compliance_rules']} {r['overdue_items']}"
        )
        assert row in lines, row
    item = f["overdue_items"][0]
    assert re.search(
        rf"{item['branch']} {item['description']} {item['owner']} {item['deadline']} .* {item['days_overdue']}$",
        text,
        re.MULTILINE,
    )
    pages = int(re.findall(r"^1 ?/ ?(\d+)$", text, re.MULTILINE)[0])
    assert pages >= 2 and re.search(rf"^{pages} ?/ ?{pages}$", text, re.MULTILINE)


def test_long_tables_break_across_pages_with_their_header_repeated(data, branch_a):
    MemberFactory.create_batch(70, branch=branch_a)
    indicators_recompute(2026, today=TODAY)
    report = compiled("year", *YEAR)
    below = report.figures["below"]
    assert len(below) == 73
    pages = int(re.findall(r"^1 ?/ ?(\d+)$", "\n".join(pdf_lines(report)), re.MULTILINE)[0])
    with translation.override("zh-hans"):
        member_header = _("Member")
    # A member's row: name, branch, role, then six figures with one decimal.
    member_row = re.compile(r"^\S+ (机关第一支部|运输管理所支部) \S+( \d+\.\d){6}$")
    rows_by_page = {
        page: [line for line in pdf_lines(report, page) if member_row.match(line)] for page in range(1, pages + 1)
    }
    continued = [page for page, rows in rows_by_page.items() if rows]
    assert len(continued) >= 2, rows_by_page
    for page in continued:
        assert any(line.startswith(member_header + " ") for line in pdf_lines(report, page)), page
    # Every row is printed whole, on one page.
    assert sum(len(rows) for rows in rows_by_page.values()) == len(below)


def test_xlsx_cells_equal_the_figures(data):
    report = compiled("month", *MARCH)
    f = report.figures
    book = load_workbook(report.xlsx.path)
    with translation.override("zh-hans"):
        names = [
            _(n)
            for n in (
                "Key figures",
                "Lessons held and planned",
                "Attendance",
                "Monthly trend",
                "Hours against requirement",
                "Hour bands",
                "Study notes",
                "Overdue work",
                "Overdue items",
                "Below requirement",
                "Supervision visits",
                "Rectification",
                "Branch ranking",
            )
        ]
        labels = {label: key for key, label, _value in summary_rows(f)}
    assert book.sheetnames == names
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), sheet.title
    key_figures = book.worksheets[0]
    facts = {row[0].value: row[1] for row in key_figures.iter_rows(min_row=2)}
    dates = [cell.value.date() for cell in facts.values() if isinstance(cell.value, datetime.datetime)]
    assert dates == [MARCH[0], MARCH[1], TODAY]
    assert all(c.number_format == "yyyy-mm-dd" for c in facts.values() if isinstance(c.value, datetime.datetime))
    for label, cell in facts.items():
        if label in labels:
            assert cell.value == f["summary"][labels[label]], label
            if labels[label] in PERCENT_KEYS and cell.value is not None:
                assert cell.number_format == "0.0%"
    lessons = [[c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2)]
    assert lessons == [
        [r["name"], r["lessons_held"], r["lessons_planned"], r["plan_done"], r["plan_completion"]]
        for r in f["branches"]
    ]
    attendance = [[c.value for c in row] for row in book.worksheets[2].iter_rows(min_row=2)]
    assert attendance == [[r["name"], r["attendance_rows"], r["attended"], r["attendance_rate"]] for r in f["branches"]]
    assert attendance[0][1:] == [3, 2, round(2 / 3, 4)]
    assert book.worksheets[2]["D2"].number_format == "0.0%"
    trend = list(book.worksheets[3].iter_rows(min_row=2))
    assert [[trend[0][0].value.date()] + [c.value for c in trend[0][1:]]] == [[MARCH[0], 1, 4, 3, 0.75]]
    assert trend[0][0].number_format == "yyyy-mm"
    hours = [[c.value for c in row] for row in book.worksheets[4].iter_rows(min_row=2)]
    assert hours == [
        [
            r["name"],
            r["members"],
            r["meets_hours"],
            r["below_requirement"],
            r["meets_share"],
            r["total_hours"],
            r["avg_hours"],
        ]
        for r in f["branches"]
    ]
    assert all(isinstance(v, int | float) for row in hours for v in row[1:] if v is not None)
    notes = [[c.value for c in row] for row in book.worksheets[6].iter_rows(min_row=2)]
    assert notes == [[r["name"], r["notes_submitted"], r["notes_passed"], r["notes_reviewed"]] for r in f["branches"]]
    items = [[c.value for c in row] for row in book.worksheets[8].iter_rows(min_row=2)]
    assert [(row[0], row[3].date(), row[5]) for row in items] == [
        (i["branch"], datetime.date.fromisoformat(i["deadline"]), i["days_overdue"]) for i in f["overdue_items"]
    ]
    below = [[c.value for c in row] for row in book.worksheets[9].iter_rows(min_row=2)]
    assert [(row[0], row[3], row[4], row[8]) for row in below] == [
        (m["member"], m["required_hours"], m["total_hours"], m["shortfall"]) for m in f["below"]
    ]
    visits = [[c.value for c in row] for row in book.worksheets[10].iter_rows(min_row=2)]
    assert [(row[0].date(), row[1], row[4]) for row in visits] == [(datetime.date(2026, 3, 5), "机关第一支部", 2)]
    ranking = [[c.value for c in row] for row in book.worksheets[12].iter_rows(min_row=2)]
    assert [(row[0], row[1], row[2]) for row in ranking] == [
        (r["rank"], r["name"], r["avg_score"]) for r in f["ranking"]
    ]


def test_xlsx_lists_every_member_below_the_requirement_though_the_pdf_stops_at_the_first(data, monkeypatch):
    # The PDF and the page stop after BELOW_SHOWN members; made small here, so
    # that three members below the requirement overflow it.
    monkeypatch.setattr(report_exports, "BELOW_SHOWN", 1)
    report = compiled("year", *YEAR)
    below = report.figures["below"]
    assert len(below) == 3
    with translation.override("zh-hans"):
        sheet = load_workbook(report.xlsx.path)[_("Below requirement")]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(row[0], row[1], row[8]) for row in rows] == [(m["member"], m["branch"], m["shortfall"]) for m in below]
    assert all(row[2] for row in rows)  # every role labelled, not only the first's
    text = "\n".join(pdf_lines(report))
    assert "另有 2 名党员未列出，完整名单见 XLSX 文件。" in text
    assert below[0]["member"] in text and below[2]["member"] not in text
