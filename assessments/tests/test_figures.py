"""Every figure is true: a known data set, and each number counted by hand in this file.

The data set (year 2026, Asia/Shanghai):
- Branch A: 张三 (member), 书记甲 (secretary, committee); branch B: 李四 (outsider).
- 王五 moved from A to B on 2026-07-01.
- L1, 2026-03-10, A organises, B accepted as co-host (a joint lesson), 2 credit hours:
  张三 present, 书记甲 late, 李四 on leave with make-up done, 王五 absent.
- L2, 2026-09-15, B organises, 3 credit hours: 李四 present, 王五 present.
- L3, 2026-12-31 23:00 local, A organises, 1 credit hour: 张三 present, 书记甲 on leave without make-up.
- L4, 2027-01-01 00:30 local (still 2026 in UTC), A organises, 1 hour: 张三 present — not in 2026.
- L5, 2026-05-01, A organises, published but never held: 张三 row unmarked — not counted.
"""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.exports.dashboard import dashboard_xlsx
from assessments.models import YearEndAssessment
from assessments.selectors.dashboards import dashboard
from assessments.tests.known import TODAY

pytestmark = pytest.mark.django_db


def row_of(member):
    return YearEndAssessment.objects.get(member=member, year=2026)


def test_member_indicators(known):
    zhang, sec, li, wang = (row_of(known[k]) for k in ("zhang", "secretary", "li", "wang"))
    # 张三: L1 present, L3 present (31 Dec counts); L4 is 2027; L5 never held.
    assert (zhang.lessons_total, zhang.lessons_attended) == (2, 2)
    assert zhang.centralised_hours == Decimal("3") and zhang.self_study_hours == Decimal("3")
    assert (zhang.notes_submitted, zhang.notes_passed, zhang.notes_excellent) == (2, 1, 1)
    assert zhang.total_hours == Decimal("6") and zhang.branch_id == known["a"].pk
    # 书记甲: L1 late counts, L3 leave without make-up does not; committee → 56 required.
    assert (sec.lessons_total, sec.lessons_attended, sec.centralised_hours) == (2, 1, Decimal("2"))
    assert (sec.role, sec.required_hours) == ("committee", Decimal("56"))
    # 李四: L1 leave with make-up done counts as attended but earns no lesson hours; L2 present.
    assert (li.lessons_total, li.lessons_attended, li.centralised_hours) == (2, 2, Decimal("3"))
    assert li.online_hours == Decimal("30") and li.total_hours == Decimal("33") and li.meets_hours is True
    # 王五: assessed in B, where he was at the end of the year; L1 absent, L2 present.
    assert wang.branch_id == known["b"].pk
    assert (wang.lessons_total, wang.lessons_attended, wang.centralised_hours) == (2, 1, Decimal("3"))
    assert wang.attendance_rate == Decimal("0.5000")


def test_score_follows_the_scheme(known):
    zhang = row_of(known["zhang"])
    # 30 × 1 + 20 × 3/32 + 20 × 3/12 + 15 × (1/4 × 1.0) + 0 = 30 + 1.875 + 5 + 3.75 = 40.625 → 40.6
    assert zhang.score == Decimal("40.6")


def test_branch_rows_and_kpis(known):
    data = dashboard(2026, today=TODAY)
    rows = {r.branch.pk: r for r in data.rows}
    a, b = rows[known["a"].pk], rows[known["b"].pk]
    # Members assessed: A = 张三, 书记甲; B = 李四, 王五.
    assert (a.members, b.members, data.members) == (2, 2, 4)
    # Lessons held: A hosted L1 and L3; B hosted L1 (joint) and L2; the bureau held 3 distinct lessons.
    assert (a.lessons_held, b.lessons_held, data.lessons_held) == (2, 2, 3)
    # Attendance by branch at the time: A = L1 张三, 书记甲, 王五 (still in A) + L3 张三, 书记甲 → 5 rows,
    # attended 张三 ×2 + 书记甲 late → 3. B = L1 李四 (made up) + L2 李四, 王五 → 3 rows, 3 attended.
    assert (a.attendance_rows, a.attended) == (5, 3)
    assert (b.attendance_rows, b.attended) == (3, 3)
    assert data.attendance_rate == round(6 / 8, 4)
    # Meeting the hour requirement: only 李四 (33 ≥ 32).
    assert (a.meets_hours, b.meets_hours) == (0, 1) and data.meets_share == 0.25
    assert (data.notes_submitted, data.notes_passed) == (2, 1)
    # Hours against the requirement: 张三 6/32 <25%, 书记甲 2/56 <25%, 李四 met, 王五 3/32 <25%.
    assert data.hour_distribution() == {"lt25": 3, "lt50": 0, "lt75": 0, "lt100": 0, "met": 1}
    assert data.evaluation_distribution()["none"] == 4


def test_monthly_trend(known):
    months = {m.month: m for m in dashboard(2026, today=TODAY).months}
    assert [m for m, v in months.items() if v.lessons] == [3, 9, 12]
    assert (months[3].lessons, months[3].rows, months[3].attended) == (1, 4, 3)
    assert (months[9].rows, months[9].attended) == (2, 2)
    assert (months[12].rows, months[12].attended) == (2, 1)


def test_export_cells_match(known):
    data = dashboard(2026, today=TODAY)
    book = load_workbook(io.BytesIO(dashboard_xlsx(data)))
    kpis = {row[0].value: row[1].value for row in book.worksheets[0].iter_rows(min_row=2)}
    values = list(kpis.values())
    assert values[1:4] == [4, 3, 0]  # members, lessons held, lessons planned
    assert values[4] == 0.75 and values[5] == 0.25
    branches = {row[0].value: [c.value for c in row] for row in book.worksheets[1].iter_rows(min_row=2)}
    assert branches[known["a"].name][1:3] == [2, 2]
    assert branches[known["b"].name][5] == 1.0
    trend = [[c.value for c in row] for row in book.worksheets[2].iter_rows(min_row=2)]
    assert trend[2] == [3, 1, 4, 3, 0.75]


def test_dashboard_page_shows_the_same_figures(client, known, leader):
    client.force_login(leader)
    html = client.get(reverse("assessments:dashboard"), {"year": 2026}).content.decode()
    assert 'data-kpi="members">4<' in html
    assert 'data-kpi="lessons">3 / 0<' in html
    assert 'data-kpi="attendance">75%<' in html
    assert 'data-kpi="meets">25%<' in html


def test_chart_series_match(known):
    from assessments.selectors.charts import chart_data

    data = dashboard(2026, today=TODAY)
    charts = chart_data(data)
    assert charts["lessons"] == [0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    assert charts["attendance"][2] == 75.0 and charts["attendance"][8] == 100.0 and charts["attendance"][11] == 50.0
    assert charts["hours_values"] == [3, 0, 0, 0, 1]
    assert charts["evaluation_values"] == [0, 0, 0, 0, 4]
    names = charts["branches"]
    assert charts["compliance"][names.index(known["a"].name)] == 0  # no meetings of the required kinds held
