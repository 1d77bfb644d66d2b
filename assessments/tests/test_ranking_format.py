"""The dashboard ranking's number filters print what the {% widthratio %} tag they replace printed."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from assessments.templatetags.report_format import ranking_figure, whole_percent


@pytest.mark.parametrize("value", [Decimal("0.975"), Decimal("0.125"), Decimal("0.5"), 0.333, Decimal("1"), 0])
def test_whole_percent_rounds_as_widthratio(value):
    expected = Template("{% widthratio v 1 100 %}%").render(Context({"v": value}))
    assert whole_percent(value) == expected


def test_nothing_to_count_is_a_dash():
    assert whole_percent(None) == "—"
    row = SimpleNamespace(avg_score=None, plan_completion=None, members=0)
    assert ranking_figure(row, "score") == "—"
    assert ranking_figure(row, "plan") == "—"
    assert ranking_figure(row, "members") == "0"
    assert ranking_figure(row, "name") == ""


def test_ranking_figure_follows_the_sort_order():
    row = SimpleNamespace(avg_score=Decimal("85.66"), attendance_rate=Decimal("0.9149"), avg_hours=Decimal("131.5"))
    assert ranking_figure(row, "score") == Template("{{ v|floatformat:1 }}").render(Context({"v": row.avg_score}))
    assert ranking_figure(row, "attendance") == "91%"
    assert ranking_figure(row, "hours") == "131.5"
