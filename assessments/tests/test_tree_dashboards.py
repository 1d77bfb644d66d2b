"""Dashboards drill down the organisation tree, and every scoped role sees its subtree only."""

import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessments.selectors.dashboards import dashboard, subtree_dashboard
from assessments.tests.known import TODAY
from branches.tests.factories import BranchFactory
from members.tests.factories import MemberFactory


def test_the_root_subtree_agrees_with_the_bureau(known, committee):
    bureau = dashboard(2026, today=TODAY)
    tree = subtree_dashboard(2026, committee, today=TODAY)
    # Children of the committee are branch A and B: the same rows, the same cards.
    assert {r.branch.pk for r in tree.rows} == {known["a"].pk, known["b"].pk}
    assert (tree.members, tree.attendance_rate, tree.meets_share) == (4, 0.75, 0.25)
    # The joint lesson L1 counts once in the subtree, as it does for the bureau.
    assert tree.lessons_held == bureau.lessons_held == 3
    assert [m.lessons for m in tree.months] == [m.lessons for m in bureau.months]


def test_a_level_between_adds_up_its_branches(known, committee, branch_a, branch_b):
    middle = BranchFactory(name="片区党委", code="middle", kind="committee", parent=committee)
    for branch in (branch_a, branch_b):
        branch.parent = middle
        branch.save()
    tree = subtree_dashboard(2026, committee, today=TODAY)
    [row] = tree.rows
    assert row.branch.pk == middle.pk and row.branch.child_count == 2
    assert (row.members, row.attendance_rows, row.attended) == (4, 8, 6)
    below = subtree_dashboard(2026, middle, today=TODAY)
    assert {r.branch.pk for r in below.rows} == {branch_a.pk, branch_b.pk}
    assert below.members == tree.members == 4


def test_general_branch_secretary_lands_on_the_subtree(client, gb_secretary, general_children, branch_a):
    for child in general_children:
        MemberFactory(branch=child)
    client.force_login(gb_secretary)
    response = client.get(reverse("assessments:dashboard"), {"year": 2026})
    html = response.content.decode()
    assert response.status_code == 200
    assert "机关党总支" in html and "第一党支部" in html and "第二党支部" in html
    assert f'data-branch="{branch_a.pk}"' not in html
    # A child branch opens; a sibling outside the subtree does not.
    assert client.get(reverse("assessments:branch_dashboard", args=[general_children[0].pk])).status_code == 200
    assert client.get(reverse("assessments:branch_dashboard", args=[branch_a.pk])).status_code == 404
    assert client.get(reverse("assessments:dashboard"), {"org": branch_a.parent_id}).status_code == 404


def test_second_bureau_sees_only_its_tree(client, bureau2_leader, bureau2, bureau2_branch, branch_a, member):
    MemberFactory(branch=bureau2_branch, full_name="赵六")
    client.force_login(bureau2_leader)
    html = client.get(reverse("assessments:dashboard"), {"year": 2026}).content.decode()
    assert f'data-branch="{bureau2_branch.pk}"' in html
    assert f'data-branch="{branch_a.pk}"' not in html
    assert client.get(reverse("assessments:dashboard"), {"org": branch_a.parent_id}).status_code == 404
    members = client.get(reverse("members:member_list")).content.decode()
    assert "赵六" in members and "张三" not in members
    book = load_workbook(io.BytesIO(client.get(reverse("assessments:export"), {"year": 2026}).content))
    names = {row[0].value for row in book.worksheets[1].iter_rows(min_row=2)}
    assert names == {bureau2_branch.name}
    # Settings shared by the whole tree stay with the top level.
    assert client.get(reverse("assessments:scheme", args=[2026])).status_code == 403


def test_subtree_dashboard_query_count_does_not_grow(client, gb_secretary, general_branch):
    client.force_login(gb_secretary)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("assessments:dashboard"), {"year": 2026}).status_code == 200
        return len(queries)

    count()  # the session's first read
    before = count()
    for n in range(6):
        branch = BranchFactory(name=f"加建支部{n}", code=f"x{n}", parent=general_branch)
        MemberFactory(branch=branch)
        BranchFactory(name=f"加建支部{n}下级", code=f"x{n}-sub", parent=branch)
    assert count() == before
