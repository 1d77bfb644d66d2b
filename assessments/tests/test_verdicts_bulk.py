"""The evaluation page's "apply to all": fill every row, adjust, then save; nothing saved before."""

import datetime

import pytest
from django.urls import reverse

from assessments.models import YearEndAssessment
from assessments.services.indicators import indicators_recompute
from core.models import AuditEntry
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
YEAR = 2026
TODAY = datetime.date(2026, 12, 20)


@pytest.fixture
def rows(branch_a, branch_b, secretary, member, outsider):
    MemberFactory.create_batch(4, branch=branch_a)
    indicators_recompute(YEAR, today=TODAY)
    return list(YearEndAssessment.objects.filter(branch=branch_a, year=YEAR).order_by("pk"))


def url(branch):
    return reverse("assessments:verdicts", args=[branch.pk, YEAR])


def page_values(response):
    return {row.member_id: (row.evaluation, str(row.branch_rating or "")) for row in response.context["rows"]}


def test_apply_to_all_fills_every_row_and_saves_nothing(client, secretary, branch_a, rows):
    client.force_login(secretary)
    response = client.post(url(branch_a), {"action": "apply_all", "all-evaluation": "qualified", "all-rating": "85"})
    assert response.status_code == 200
    assert set(page_values(response).values()) == {("qualified", "85")}
    html = response.content.decode()
    assert 'id="unsaved-note"' in html
    assert set(YearEndAssessment.objects.filter(branch=branch_a, year=YEAR).values_list("evaluation", flat=True)) == {
        ""
    }
    assert not AuditEntry.objects.filter(action="assessment.verdict").exists()


def test_adjust_one_after_apply_then_save_keeps_the_exception(client, secretary, branch_a, rows):
    client.force_login(secretary)
    response = client.post(url(branch_a), {"action": "apply_all", "all-evaluation": "qualified", "all-rating": "80"})
    data = {"action": "save"}
    for member_id, (evaluation, rating) in page_values(response).items():
        data[f"evaluation_{member_id}"], data[f"rating_{member_id}"] = evaluation, rating
    data[f"evaluation_{rows[0].member_id}"], data[f"rating_{rows[0].member_id}"] = "basic", "60"
    assert client.post(url(branch_a), data).status_code == 302
    saved = dict(YearEndAssessment.objects.filter(branch=branch_a, year=YEAR).values_list("member_id", "evaluation"))
    assert saved.pop(rows[0].member_id) == "basic"
    assert set(saved.values()) == {"qualified"}


def test_apply_only_to_empty_rows_keeps_typed_outcomes(client, secretary, branch_a, rows):
    client.force_login(secretary)
    response = client.post(
        url(branch_a),
        {
            "action": "apply_all",
            "all-evaluation": "qualified",
            "all-only_empty": "on",
            f"evaluation_{rows[1].member_id}": "excellent",
            f"rating_{rows[1].member_id}": "95",
        },
    )
    values = page_values(response)
    assert values[rows[1].member_id] == ("excellent", "95")
    assert values[rows[2].member_id] == ("qualified", "")


def test_bad_apply_to_all_rating_shows_the_error_and_keeps_typed_rows(client, secretary, branch_a, rows):
    client.force_login(secretary)
    response = client.post(
        url(branch_a),
        {
            "action": "apply_all",
            "all-evaluation": "qualified",
            "all-rating": "150",
            f"evaluation_{rows[0].member_id}": "basic",
            f"rating_{rows[0].member_id}": "61",
        },
    )
    assert response.status_code == 400
    assert "支部评分须为 0 至 100 之间的整数" in response.content.decode()
    assert page_values(response)[rows[0].member_id] == ("basic", "61")
    assert page_values(response)[rows[1].member_id] == ("", "")


def test_apply_to_all_with_nothing_chosen_says_so(client, secretary, branch_a, rows):
    client.force_login(secretary)
    response = client.post(url(branch_a), {"action": "apply_all"})
    assert response.status_code == 400
    assert response.context["errors"]


@pytest.mark.parametrize(("persona", "status"), [("member", 403), ("outsider", 404)])
def test_apply_to_all_is_refused_to_readers_and_other_branches(client, personas, branch_a, rows, persona, status):
    client.force_login(personas[persona])
    response = client.post(url(branch_a), {"action": "apply_all", "all-evaluation": "qualified"})
    assert response.status_code == status
