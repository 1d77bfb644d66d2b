"""Checkup reports on an organisation's whole subtree, read exactly by those whose scope holds it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.forms.reports import ReportForm
from assessments.models import CheckupReport
from assessments.selectors.reports import report_figures
from assessments.services.indicators import indicators_recompute
from assessments.tests.known import MARCH, TODAY, YEAR
from branches.tests.factories import BranchFactory
from members.models import LeadershipScope
from members.permissions import roles_for
from members.tests.factories import MemberFactory, UserFactory


def _middle(committee, branch_a):
    """A 片区党委 between the committee and branch A: branch B stays outside it."""
    middle = BranchFactory(name="片区党委", code="middle", kind="committee", parent=committee)
    branch_a.parent = middle
    branch_a.save()
    indicators_recompute(2026, today=TODAY)
    return middle


def test_a_subtree_report_holds_only_its_subtrees_figures(data, committee):
    a, b = data["a"], data["b"]
    middle = _middle(committee, a)
    whole = report_figures(period="year", start=YEAR[0], end=YEAR[1], branch=committee, today=TODAY)
    part = report_figures(period="year", start=YEAR[0], end=YEAR[1], branch=middle, today=TODAY)
    single = report_figures(period="year", start=YEAR[0], end=YEAR[1], branch=a, today=TODAY)
    # The committee's subtree is the bureau of the known data: both branches, ranked among themselves.
    assert {r["branch_id"] for r in whole["branches"]} == {a.pk, b.pk} and whole["ranked_of"] == 2
    assert whole["summary"]["members"] == 4
    # The 片区党委 holds branch A only: the same figures as A's own report, none of B's.
    assert [r["branch_id"] for r in part["branches"]] == [a.pk]
    assert [r["branch_id"] for r in part["ranking"]] == [a.pk] and part["ranked_of"] == 1
    for key in ("members", "lessons_held", "attendance_rows", "attended", "total_hours", "below_requirement"):
        assert part["summary"][key] == single["summary"][key], key
    assert [v["branch"] for v in part["visits"]] == [a.name]
    assert [r["branch"] for r in part["rectification"]] == [a.name]
    assert b.name not in {m["branch"] for m in part["below"]}
    assert (part["branch_id"], part["branch_name"]) == (middle.pk, "片区党委")


def test_a_subtree_report_runs_a_fixed_number_of_queries(data, committee):
    def count():
        with CaptureQueriesContext(connection) as queries:
            report_figures(period="month", start=MARCH[0], end=MARCH[1], branch=committee, today=TODAY)
        return len(queries)

    count()  # the first call creates the meeting rules
    small = count()
    for n in range(3):
        branch = BranchFactory(name=f"新支部{n}", code=f"new{n}", parent=committee)
        MemberFactory.create_batch(3, branch=branch)
    indicators_recompute(2026, today=TODAY)
    assert count() == small == 14


def test_scoped_leader_requests_reads_a_subtree_report_and_another_bureau_gets_404(
    client, data, committee, bureau2_leader
):
    middle = _middle(committee, data["a"])
    user = UserFactory(username="middle_leader")
    LeadershipScope.objects.create(user=user, organisation=middle)
    # The form offers the leader's own organisation and what lies below it, never the whole bureau.
    form = ReportForm(**{"branches": roles_for(user).scope_ids, "whole_bureau": False})
    offered = {choice.instance.pk for choice, _label in list(form.fields["branch"].choices)}
    assert offered == {middle.pk, data["a"].pk}
    client.force_login(user)
    response = client.post(reverse("reports:report_new"), {"period": "month", "month": "2026-03", "branch": middle.pk})
    report = CheckupReport.objects.get(branch=middle)
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert client.get(reverse("reports:report_detail", args=[report.pk])).status_code == 200
    assert report in client.get(reverse("reports:report_list")).context["page"].object_list
    # Branch B (outside the 片区党委) cannot be asked for.
    refused = client.post(
        reverse("reports:report_new"), {"period": "month", "month": "2026-03", "branch": data["b"].pk}
    )
    assert refused.status_code == 400 and not CheckupReport.objects.filter(branch=data["b"]).exists()
    client.force_login(bureau2_leader)
    for name in ("reports:report_detail", "reports:report_pdf", "reports:report_status"):
        assert client.get(reverse(name, args=[report.pk])).status_code == 404, name
    assert report not in client.get(reverse("reports:report_list")).context["page"].object_list


def test_general_branch_secretary_requests_the_subtree_report(client, gb_secretary, general_branch, general_children):
    client.force_login(gb_secretary)
    form = client.get(reverse("reports:report_new")).context["form"]
    offered = {choice.instance.pk for choice, _label in list(form.fields["branch"].choices)}
    assert offered == {general_branch.pk, *(c.pk for c in general_children)}
    response = client.post(
        reverse("reports:report_new"), {"period": "month", "month": "2026-03", "branch": general_branch.pk}
    )
    assert response.status_code == 302
    assert CheckupReport.objects.filter(branch=general_branch, requested_by=gb_secretary).count() == 1
