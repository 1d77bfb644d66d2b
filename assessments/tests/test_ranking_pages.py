"""The dashboard ranking is paged and searchable, the hour bands are exact at their bounds, and the
page costs the same number of queries for 12 branches or 40."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import YearEndAssessment
from assessments.selectors.dashboards import dashboard
from assessments.services.branch_figures import branch_year_refresh
from assessments.views.yearend import INTERACTION_ROWS, RANKING_PAGE_SIZE
from branches.models import Branch
from branches.tests.factories import BranchFactory
from members.tests.factories import MemberFactory
from training.models import BranchInteractionFigures

pytestmark = pytest.mark.django_db
YEAR = 2026


def _branch_with_score(number: int, score: int) -> Branch:
    branch = BranchFactory(name=f"排名测试第{number:02d}支部", code=f"R{number:03d}", sort_order=number)
    member = MemberFactory(branch=branch)
    YearEndAssessment.objects.create(member=member, year=YEAR, branch=branch, required_hours=32, score=score)
    branch_year_refresh(YEAR, branch_ids=[branch.pk])  # as the year-end services do after writing rows
    return branch


def _ranking_names(html: str) -> list[str]:
    table = html[html.index('id="branch-ranking"') :]
    return re.findall(r"<td><a href=\"[^\"]*\">([^<]+)</a>", table)


@pytest.fixture
def ranked_branches():
    """RANKING_PAGE_SIZE + 5 branches, scores 1, 2, … so that the best is the last one made."""
    return [_branch_with_score(n, n) for n in range(1, RANKING_PAGE_SIZE + 6)]


def test_the_ranking_is_paged_best_first(client, leader, ranked_branches):
    client.force_login(leader)
    url = reverse("assessments:dashboard")
    first = client.get(url, {"year": YEAR}).content.decode()
    names = _ranking_names(first)
    assert len(names) == RANKING_PAGE_SIZE
    assert names[0] == ranked_branches[-1].name and names[1] == ranked_branches[-2].name
    assert f"1–{RANKING_PAGE_SIZE}" in first and f"{len(ranked_branches)}" in first
    second = client.get(url, {"year": YEAR, "page": 2}).content.decode()
    rest = _ranking_names(second)
    assert rest == [b.name for b in reversed(ranked_branches[:5])]
    # Places are numbered across pages (the phone list, built from the rows, shows them).
    assert f'data-rank="{RANKING_PAGE_SIZE + 1}"' in second and 'data-rank="1"' not in second
    # Every branch appears once across the pages; the cards still count every member.
    assert sorted(names + rest) == sorted(b.name for b in ranked_branches)
    assert f'data-kpi="members">{len(ranked_branches)}<' in first


@pytest.mark.parametrize("page", ["999", "abc", "-1", "%"])
def test_a_page_number_out_of_range_or_not_a_number_shows_a_page(client, leader, ranked_branches, page):
    client.force_login(leader)
    response = client.get(reverse("assessments:dashboard"), {"year": YEAR, "page": page})
    assert response.status_code == 200
    names = _ranking_names(response.content.decode())
    # Out of range (999, -1): the last page, as Paginator.get_page has it; not a number: the first.
    expected = 5 if page in ("999", "-1") else RANKING_PAGE_SIZE
    assert len(names) == expected


def test_the_ranking_finds_branches_by_name(client, leader, ranked_branches):
    client.force_login(leader)
    html = client.get(reverse("assessments:dashboard"), {"year": YEAR, "q": "第0"}).content.decode()
    # 第01 … 第09支部, best (09) first.
    assert _ranking_names(html) == [f"排名测试第{n:02d}支部" for n in range(9, 0, -1)]
    assert "9" in html[html.index('id="ranking-count"') :][:200]
    nothing = client.get(reverse("assessments:dashboard"), {"year": YEAR, "q": "没有这个支部"}).content.decode()
    assert _ranking_names(nothing) == []
    assert 'data-kpi="members">' + str(len(ranked_branches)) + "<" in nothing


def test_sort_order_keeps_the_search(client, leader, ranked_branches):
    client.force_login(leader)
    html = client.get(reverse("assessments:dashboard"), {"year": YEAR, "q": "第1"}).content.decode()
    header = html[html.index('id="branch-ranking"') :]
    assert "order=name" in header and "q=%E7%AC%AC1" in header


def test_the_page_costs_the_same_queries_at_any_size(client, leader, django_assert_num_queries):
    client.force_login(leader)
    url = reverse("assessments:dashboard")
    for n in range(1, 13):
        _branch_with_score(n, n)
    client.get(url, {"year": YEAR})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url, {"year": YEAR})
    for n in range(13, 41):
        _branch_with_score(n, n)
    with django_assert_num_queries(len(small)):
        response = client.get(url, {"year": YEAR, "page": 2})
    assert len(_ranking_names(response.content.decode())) == 40 - RANKING_PAGE_SIZE


def test_interaction_table_shows_the_most_interactive_then_all(client, leader):
    client.force_login(leader)
    for n in range(INTERACTION_ROWS + 3):
        branch = BranchFactory(name=f"互动测试第{n:02d}支部", code=f"I{n:03d}")
        BranchInteractionFigures.objects.create(
            branch=branch, year=YEAR, lessons_held=20, lessons_interactive=n, computed_at=timezone.now()
        )
    BranchInteractionFigures.objects.create(
        branch=None, year=YEAR, lessons_held=260, lessons_interactive=78, computed_at=timezone.now()
    )
    url = reverse("assessments:dashboard")
    html = client.get(url, {"year": YEAR}).content.decode()
    table = html[
        html.index('id="interaction-branches"') : html.index("</table>", html.index('id="interaction-branches"'))
    ]
    assert table.count("<tr>") == INTERACTION_ROWS + 1  # the header and the ten best
    assert f"互动测试第{INTERACTION_ROWS + 2:02d}支部" in table and "互动测试第00支部" not in table
    assert "interaction=all" in html
    everything = client.get(url, {"year": YEAR, "interaction": "all"}).content.decode()
    start = everything.index('id="interaction-branches"')
    assert everything[start : everything.index("</table>", start)].count("<tr>") == INTERACTION_ROWS + 4


@pytest.mark.parametrize(
    ("total", "required", "band"),
    [
        ("0", "32", "lt25"),
        ("7.9", "32", "lt25"),
        ("8", "32", "lt50"),  # exactly a quarter starts the next band
        ("15.9", "32", "lt50"),
        ("16", "32", "lt75"),
        ("24", "32", "lt100"),
        ("31.9", "32", "lt100"),
        ("32", "32", "met"),
        ("40", "32", "met"),
        ("0", "0", "met"),  # nothing required: the requirement is met
    ],
)
def test_hour_bands_at_their_bounds(total, required, band):
    branch = BranchFactory()
    member = MemberFactory(branch=branch)
    YearEndAssessment.objects.create(
        member=member, year=YEAR, branch=branch, total_hours=Decimal(total), required_hours=Decimal(required)
    )
    branch_year_refresh(YEAR)
    data = dashboard(YEAR)
    bands = data.hour_distribution()
    assert bands[band] == 1 and sum(bands.values()) == 1
    row = next(r for r in data.rows if r.branch.pk == branch.pk)
    assert row.meets_hours == (band == "met") and row.members == 1


def test_sql_ranking_and_python_ranking_agree_on_every_order_and_tie():
    """The whole tree is ranked in SQL (tree_dashboard), a subtree's children in Python (ranked): the same
    order for every figure, ties (1 of 3 against 2 of 6, 0 of 0 against no row) by the tree's order."""
    from assessments.models import BranchYearFigures
    from assessments.selectors.dashboards import branch_rows
    from assessments.selectors.ranking import RANKING_ORDERS, ranked, tree_dashboard

    figures = [  # members, hours, meets, attended of rows, plan done of planned, passed notes, score sum
        (3, "40", 1, (1, 3), (1, 3), 2, "210"),
        (6, "80", 2, (2, 6), (2, 6), 2, "420"),
        (0, "0", 0, (0, 0), (0, 0), 0, "0"),
        (5, "100", 5, (5, 5), (4, 4), 7, "400.5"),
        (2, "10.5", 0, (0, 4), (0, 2), 0, "99.9"),
        None,  # a branch with no row at all
        (4, "53.3", 3, (3, 4), (3, 5), 1, "280"),
    ]
    for number, values in enumerate(figures):
        branch = BranchFactory(name=f"并列{number}支部", code=f"T{number}", sort_order=len(figures) - number)
        if values is None:
            continue
        members, hours, meets, (attended, rows), (done, planned), passed, score = values
        BranchYearFigures.objects.create(
            branch=branch,
            year=YEAR,
            members=members,
            total_hours=Decimal(hours),
            meets_hours=meets,
            attended=attended,
            attendance_rows=rows,
            plan_done=done,
            lessons_planned=planned,
            notes_passed=passed,
            score_sum=Decimal(score),
        )
    rows = branch_rows(YEAR)
    for order in RANKING_ORDERS:
        in_python = [r.branch.pk for r in ranked(rows, order)]
        _data, page = tree_dashboard(YEAR, order=order, size=50)
        assert [r.branch.pk for r in page.object_list] == in_python, order
    # The ties are real ties: 1 of 3 and 2 of 6 rank by the tree's order (sort order) on every ratio.
    by_attendance = [r.branch.name for r in ranked(rows, "attendance")]
    assert by_attendance.index("并列1支部") < by_attendance.index("并列0支部")
