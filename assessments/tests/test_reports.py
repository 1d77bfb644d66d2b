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
import io
import re
import subprocess
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from assessments import reports
from assessments.dashboards import dashboard, overdue_assignments_by_branch
from assessments.indicators import indicators_recompute
from assessments.models import CheckupReport, RectificationItem, SupervisionVisit
from assessments.reports import (
    compile_monthly,
    period_bounds,
    previous_month,
    report_compile,
    report_figures,
    report_request,
    summary_rows,
)
from assessments.tasks import compile_checkup_report, compile_monthly_reports
from assessments.tests.test_figures import TODAY, known  # noqa: F401  (the fixture)
from branches.tests.factories import BranchFactory
from core.models import AuditEntry
from members.models import Notification
from members.tests.factories import MemberFactory, PostFactory, UserFactory
from training.models import Lesson, StudyNote, StudyPlan, StudyPlanItem
from training.progress import branch_progress
from training.tests.factories import at

pytestmark = pytest.mark.django_db

YEAR = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
# TODAY (2027-01-15) at noon in Asia/Shanghai, for the code that asks the clock.
NOW = datetime.datetime(2027, 1, 15, 4, 0, tzinfo=datetime.UTC)


@pytest.fixture
def data(request):
    base = request.getfixturevalue("known")  # test_figures.py's data set
    a, b = base["a"], base["b"]
    plan = StudyPlan.objects.create(branch=a, year=2026)
    march = StudyPlanItem.objects.create(plan=plan, month=3, topic="党章", kind="lecture", planned_hours=2)
    StudyPlanItem.objects.create(plan=plan, month=5, topic="党史", kind="lecture", planned_hours=2)
    december = StudyPlanItem.objects.create(plan=plan, month=12, topic="总结", kind="lecture", planned_hours=1)
    Lesson.objects.filter(start=at(2026, 3, 10, 9)).update(plan_item=march)
    Lesson.objects.filter(start=at(2026, 12, 31, 23)).update(plan_item=december)
    StudyNote.objects.filter(member=base["zhang"], status="passed").update(reviewed_at=at(2026, 6, 5, 10))
    visit_a = SupervisionVisit.objects.create(
        branch=a, visited_on=datetime.date(2026, 3, 5), inspectors="王检查", findings="学习记录不完整"
    )
    RectificationItem.objects.create(
        visit=visit_a, description="补齐学习记录", owner="书记甲", deadline=datetime.date(2026, 4, 1)
    )
    RectificationItem.objects.create(
        visit=visit_a,
        description="完善签到表",
        owner="书记甲",
        deadline=datetime.date(2026, 3, 20),
        status="done",
        completed_on=datetime.date(2026, 3, 18),
    )
    visit_b = SupervisionVisit.objects.create(
        branch=b, visited_on=datetime.date(2026, 9, 1), inspectors="李督导", findings="三会一课记录缺失"
    )
    RectificationItem.objects.create(
        visit=visit_b,
        description="补开组织生活会",
        owner="李四",
        deadline=datetime.date(2027, 2, 1),
        status="in_progress",
    )
    return base


@pytest.fixture
def leader_member(leader, committee):
    """The leader's member record, so that in-app notifications can reach them."""
    return MemberFactory(user=leader, branch=committee, full_name="局领导")


def compiled(period, start, end, branch=None) -> CheckupReport:
    report = CheckupReport.objects.create(period=period, period_start=start, period_end=end, branch=branch)
    with time_machine.travel(NOW, tick=False):
        assert report_compile(report.pk) == "done", CheckupReport.objects.get(pk=report.pk).error
    report.refresh_from_db()
    return report


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
    with pytest.raises(reports.ValidationError) as error:
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
    assert [n for n, _figures in large] == [n for n, _figures in small] == [15, 22]


def test_a_period_across_two_years_is_refused():
    with pytest.raises(reports.ValidationError) as error:
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
            shown = pct(value) if key in reports.PERCENT_KEYS else one(value) if key in reports.HOUR_KEYS else value
            assert f"{label} {shown}" in lines, (label, shown)
        header = f"{f['organisation']} · {reports.scope_label(f)} · {reports.period_label('year', YEAR[0])}"
        month_label = reports._("Month %(number)d")
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
        member_header = reports._("Member")
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
            reports._(n)
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
            if labels[label] in reports.PERCENT_KEYS and cell.value is not None:
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


# --- compiling -------------------------------------------------------------


def test_compiling_twice_is_a_noop_the_second_time(data):
    report = CheckupReport.objects.create(period="month", period_start=MARCH[0], period_end=MARCH[1])
    with time_machine.travel(NOW, tick=False):
        assert compile_checkup_report.apply(args=[report.pk]).get() == "done"
        report.refresh_from_db()
        files = (report.pdf.name, report.xlsx.name)
        assert compile_checkup_report.apply(args=[report.pk]).get() == "skipped"
        assert report_compile(report.pk) == "skipped"
    report.refresh_from_db()
    assert (report.status, report.pdf.name, report.xlsx.name) == ("done", *files)
    assert report.started_at <= report.finished_at and report.figures["summary"]["lessons_held"] == 1


def test_a_report_left_running_by_a_dead_worker_is_compiled_again(data, settings):
    started = datetime.datetime(2027, 1, 15, 2, 0, tzinfo=datetime.UTC)
    report = CheckupReport.objects.create(
        period="month", period_start=MARCH[0], period_end=MARCH[1], status="running", started_at=started
    )
    with time_machine.travel(started + datetime.timedelta(seconds=60), tick=False):
        assert report_compile(report.pk) == "busy"  # its worker may still be at it
    with time_machine.travel(started + datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1), tick=False):
        assert report_compile(report.pk) == "done"


def test_the_task_looks_again_once_when_the_report_is_busy(data):
    report = CheckupReport.objects.create(
        period="month", period_start=MARCH[0], period_end=MARCH[1], status="running", started_at=NOW
    )
    with mock.patch("assessments.reports.report_compile", side_effect=["busy", "done"]) as compile_:
        assert compile_checkup_report.apply(args=[report.pk]).get() == "done"
    assert compile_.call_count == 2
    with mock.patch("assessments.reports.report_compile", side_effect=["busy", "busy"]) as compile_:
        assert compile_checkup_report.apply(args=[report.pk]).get() == "busy"
    assert compile_.call_count == 2


def test_a_failing_compile_is_marked_failed_with_the_error(data, settings, tmp_path, leader_member):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker  # saving a file under it fails
    report = CheckupReport.objects.create(period="month", period_start=MARCH[0], period_end=MARCH[1])
    with time_machine.travel(NOW, tick=False):
        assert report_compile(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == "failed" and report.finished_at is not None
    assert report.error.startswith(("NotADirectoryError", "FileExistsError")), report.error
    assert not report.pdf and not report.xlsx
    assert not Notification.objects.filter(kind="report_ready").exists()
    assert report_compile(report.pk) == "skipped"


def test_leadership_gets_an_in_app_notification_once(data, leader_member):
    report = compiled("month", *MARCH, branch=data["a"])
    note = Notification.objects.get(recipient=leader_member, kind="report_ready")
    assert note.channel == "in_app" and note.url == report.get_absolute_url() == f"/reports/{report.pk}/"
    assert note.dedup_key.startswith(f"report_ready:report:{report.pk}:{leader_member.pk}:done")
    assert data["a"].name in note.title
    assert not Notification.objects.filter(kind="report_ready").exclude(recipient=leader_member).exists()
    reports._notify_ready(report)  # a second notice for the same report is deduplicated
    assert Notification.objects.filter(kind="report_ready").count() == 1


def test_report_request_queues_once_and_enqueues_after_commit(data, leader, django_capture_on_commit_callbacks):
    with mock.patch.object(compile_checkup_report, "delay") as delay:
        with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
            report = report_request(period="quarter", start=datetime.date(2026, 11, 20), branch=None, actor=leader)
            again = report_request(period="quarter", start=datetime.date(2026, 10, 1), branch=None, actor=leader)
    assert again == report and (report.period_start, report.period_end) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert (report.status, report.requested_by) == ("queued", leader)
    delay.assert_called_once_with(report.pk)
    assert AuditEntry.objects.filter(action="checkup_report.requested", target_id=str(report.pk)).count() == 1


def test_report_request_refuses_a_future_period_and_a_non_branch(data, leader, committee):
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(reports.ValidationError) as future:
            report_request(period="month", start=datetime.date(2027, 2, 1), actor=leader)
        with pytest.raises(reports.ValidationError) as not_branch:
            report_request(period="month", start=MARCH[0], branch=committee, actor=leader)
    assert future.value.error_dict["start"][0].code == "period_in_future"
    assert not_branch.value.error_dict["branch"][0].code == "not_a_branch"
    assert not CheckupReport.objects.exists()


def test_compile_monthly_queues_last_month_for_the_bureau_and_each_branch_once(
    data, committee, django_capture_on_commit_callbacks
):
    BranchFactory(name="已撤销支部", code="gone", parent=committee, is_active=False)
    with mock.patch.object(compile_checkup_report, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            first = compile_monthly(today=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            second = compile_monthly(today=TODAY)
    assert second == []
    assert sorted((r.branch_id or 0) for r in first) == sorted([0, data["a"].pk, data["b"].pk])
    assert {(r.period, r.period_start, r.period_end, r.status) for r in first} == {
        ("month", datetime.date(2026, 12, 1), datetime.date(2026, 12, 31), "queued")
    }
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted(r.pk for r in first)


def test_compile_monthly_retries_a_failed_scope_only(data, django_capture_on_commit_callbacks):
    with mock.patch.object(compile_checkup_report, "delay"):
        first = compile_monthly(today=TODAY)
        CheckupReport.objects.filter(pk=first[0].pk).update(status="failed")
        again = compile_monthly(today=TODAY)
    assert [r.branch_id for r in again] == [first[0].branch_id]


def test_monthly_beat_task_uses_the_local_date(data):
    with mock.patch.object(compile_checkup_report, "delay"):
        # 1 February 00:30 in Asia/Shanghai is still 31 January in UTC.
        with time_machine.travel(datetime.datetime(2027, 1, 31, 16, 30, tzinfo=datetime.UTC), tick=False):
            assert compile_monthly_reports.apply().get() == 3
    assert set(CheckupReport.objects.values_list("period_start", flat=True)) == {datetime.date(2027, 1, 1)}


# --- pages -----------------------------------------------------------------


@pytest.fixture
def done_reports(data):
    """A done bureau report and a done branch-A report for March 2026, and a done branch-B one."""
    return {
        "bureau": compiled("month", *MARCH),
        "a": compiled("month", *MARCH, branch=data["a"]),
        "b": compiled("month", *MARCH, branch=data["b"]),
    }


def _status(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


def test_who_may_open_which_report(client, done_reports, personas):
    bureau, a, b = done_reports["bureau"], done_reports["a"], done_reports["b"]
    expected = {
        # persona: (list, bureau detail, A detail, A pdf, A xlsx, B pdf, status of A)
        None: (302, 302, 302, 302, 302, 302, 302),
        "member": (403, 403, 403, 403, 403, 404, 403),
        "secretary": (200, 404, 200, 200, 200, 404, 286),
        "outsider": (403, 403, 404, 404, 404, 403, 404),
        "leader": (200, 200, 200, 200, 200, 200, 286),
        "admin": (200, 200, 200, 200, 200, 200, 286),
    }
    urls = [
        reverse("reports:report_list"),
        reverse("reports:report_detail", args=[bureau.pk]),
        reverse("reports:report_detail", args=[a.pk]),
        reverse("reports:report_pdf", args=[a.pk]),
        reverse("reports:report_xlsx", args=[a.pk]),
        reverse("reports:report_pdf", args=[b.pk]),
        reverse("reports:report_status", args=[a.pk]),
    ]
    for persona, codes in expected.items():
        user = personas[persona] if persona else None
        assert tuple(_status(client, user, url) for url in urls) == codes, persona


def test_new_report_form_is_for_leadership_only(client, personas, data):
    url = reverse("reports:report_new")
    for persona, code in {"member": 403, "secretary": 403, "outsider": 403, "leader": 200, "admin": 200}.items():
        assert _status(client, personas[persona], url) == code, persona


def test_secretary_lists_only_their_branchs_reports(client, done_reports, secretary):
    client.force_login(secretary)
    html = client.get(reverse("reports:report_list")).content.decode()
    assert f'data-report="{done_reports["a"].pk}"' in html
    assert f'data-report="{done_reports["b"].pk}"' not in html
    assert f'data-report="{done_reports["bureau"].pk}"' not in html
    assert reverse("reports:report_new") not in html


def test_downloads_are_the_compiled_files(client, done_reports, leader):
    client.force_login(leader)
    report = done_reports["a"]
    response = client.get(reverse("reports:report_pdf", args=[report.pk]))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    response = client.get(reverse("reports:report_xlsx", args=[report.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.worksheets[0].freeze_panes == "A2"


@time_machine.travel(NOW, tick=False)
def test_leader_starts_a_report_and_lands_on_its_page(client, leader, data, django_capture_on_commit_callbacks):
    client.force_login(leader)
    with mock.patch.object(compile_checkup_report, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("reports:report_new"), {"period": "month", "month": "2026-03", "branch": data["a"].pk}
            )
    report = CheckupReport.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert (report.period_start, report.branch, report.status) == (MARCH[0], data["a"], "queued")
    delay.assert_called_once_with(report.pk)
    page = client.get(report.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page and reverse("reports:report_status", args=[report.pk]) in page


@time_machine.travel(NOW, tick=False)
def test_new_report_form_shows_the_error_for_a_future_month(client, leader, data):
    client.force_login(leader)
    response = client.post(reverse("reports:report_new"), {"period": "month", "month": "2027-03", "branch": ""})
    assert response.status_code == 400 and not CheckupReport.objects.exists()
    assert response.context["form"].errors["month"]


def test_status_partial_polls_until_done_then_answers_286(client, leader, data):
    client.force_login(leader)
    report = CheckupReport.objects.create(period="month", period_start=MARCH[0], period_end=MARCH[1])
    url = reverse("reports:report_status", args=[report.pk])
    queued = client.get(url)
    assert queued.status_code == 200 and 'hx-trigger="every 2s"' in queued.content.decode()
    with time_machine.travel(NOW, tick=False):
        report_compile(report.pk)
    done = client.get(url)
    html = done.content.decode()
    assert done.status_code == 286 and "hx-trigger" not in html
    assert reverse("reports:report_pdf", args=[report.pk]) in html and 'id="checkup-report"' in html
    CheckupReport.objects.filter(pk=report.pk).update(status="failed", error="OSError: disk full")
    failed = client.get(url)
    assert failed.status_code == 286 and "OSError: disk full" in failed.content.decode()


def test_done_report_page_shows_the_figures_inline(client, done_reports, secretary):
    client.force_login(secretary)
    report = done_reports["a"]
    html = client.get(report.get_absolute_url()).content.decode()
    row = report.figures["branches"][0]
    assert 'id="checkup-report"' in html and "hx-trigger" not in html
    assert (
        f'<tr data-branch="{row["branch_id"]}"><td>{row["name"]}</td><td class="num">{row["attendance_rows"]}<' in html
    )


def test_report_pages_run_a_fixed_number_of_queries(client, leader, data, django_assert_max_num_queries):
    client.force_login(leader)
    for month in range(1, 4):
        CheckupReport.objects.create(
            period="month",
            period_start=datetime.date(2026, month, 1),
            period_end=period_bounds("month", datetime.date(2026, month, 1))[1],
            branch=data["a"] if month % 2 else None,
        )
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("reports:report_list")).status_code == 200
    for month in range(4, 12):
        CheckupReport.objects.create(
            period="month",
            period_start=datetime.date(2026, month, 1),
            period_end=period_bounds("month", datetime.date(2026, month, 1))[1],
            branch=data["b"],
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("reports:report_list")).status_code == 200
    assert len(many) == len(few)
    report = compiled("month", *MARCH)
    with django_assert_max_num_queries(len(few) + 1):
        assert client.get(report.get_absolute_url()).status_code == 200


def test_secretary_of_two_branches_sees_both(client, done_reports, data):
    user = UserFactory(username="two-hats")
    member = MemberFactory(user=user, branch=data["a"])
    PostFactory(member=member, branch=data["a"])
    PostFactory(member=member, branch=data["b"])
    client.force_login(user)
    html = client.get(reverse("reports:report_list")).content.decode()
    assert f'data-report="{done_reports["a"].pk}"' in html and f'data-report="{done_reports["b"].pk}"' in html
    assert client.get(reverse("reports:report_detail", args=[done_reports["bureau"].pk])).status_code == 404
