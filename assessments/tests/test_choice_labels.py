"""Organisations of the same name stay distinguishable in every choice list, in one extra query."""

from django import forms

from assessments.forms.reports import ReportForm
from branches.forms.fields import OrganisationChoiceField, OrganisationMultipleChoiceField
from branches.models import Branch
from branches.tests.factories import BranchFactory
from members.forms.members import MemberTransferForm


def _labels(field) -> dict[int, str]:
    return {value.instance.pk: label for value, label in field.choices if value != ""}


def test_two_first_branches_under_different_parents_show_their_paths(
    committee, general_branch, general_children, django_assert_num_queries
):
    other = BranchFactory(name="第一党支部", code="g1-other", parent=committee)
    first = general_children[0]
    form = MemberTransferForm()
    with django_assert_num_queries(2):  # the choices, then the paths of the repeated names
        labels = _labels(form.fields["to_branch"])
    assert labels[first.pk] == "测试县交通运输局机关党委 › 机关党总支 › 第一党支部"
    assert labels[other.pk] == "测试县交通运输局机关党委 › 第一党支部"
    # A name that does not repeat keeps its bare name.
    assert labels[general_children[1].pk] == "第二党支部"
    assert len(set(labels.values())) == len(labels)
    html = str(ReportForm()["branch"])
    assert "机关党总支 › 第一党支部" in html and "机关党委 › 第一党支部" in html


def test_unique_names_need_no_extra_query(committee, general_branch, general_children, django_assert_num_queries):
    class Form(forms.Form):
        one = OrganisationChoiceField(queryset=Branch.objects.order_by("path"))
        many = OrganisationMultipleChoiceField(queryset=Branch.objects.order_by("path"))

    form = Form()
    with django_assert_num_queries(1):
        labels = _labels(form.fields["one"])
    assert labels[general_children[0].pk] == "第一党支部"
    # The multiple field tells the same names apart too.
    BranchFactory(name="第一党支部", code="g1-other", parent=committee)
    labels = _labels(Form().fields["many"])
    assert sorted(v for v in labels.values() if v.endswith("第一党支部")) == [
        "测试县交通运输局机关党委 › 机关党总支 › 第一党支部",
        "测试县交通运输局机关党委 › 第一党支部",
    ]


def test_lists_tell_apart_two_branches_of_the_same_name(client, leader, committee, general_branch, general_children):
    from django.urls import reverse

    from assessments.models import CheckupReport
    from members.tests.factories import MemberFactory

    other = BranchFactory(name="第一党支部", code="g1-other", parent=committee)
    MemberFactory(branch=general_children[0], full_name="甲一")
    MemberFactory(branch=other, full_name="乙一")
    for branch in (general_children[0], other):
        CheckupReport.objects.create(
            period="month", period_start="2026-03-01", period_end="2026-03-31", branch=branch, status="done"
        )
    client.force_login(leader)
    for name in ("members:member_list", "reports:report_list"):
        html = client.get(reverse(name)).content.decode()
        cells = html.split("<tbody>", 1)[1]
        assert "机关党总支 › 第一党支部" in cells and "机关党委 › 第一党支部" in cells, name
