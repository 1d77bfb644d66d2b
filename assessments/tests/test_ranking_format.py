"""The dashboard ranking's percentage filter prints what the {% widthratio %} tag it replaced printed."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from assessments.templatetags.report_format import whole_percent


@pytest.mark.parametrize("value", [Decimal("0.975"), Decimal("0.125"), Decimal("0.5"), 0.333, Decimal("1"), 0])
def test_whole_percent_rounds_as_widthratio(value):
    expected = Template("{% widthratio v 1 100 %}%").render(Context({"v": value}))
    assert whole_percent(value) == expected


def test_nothing_to_count_is_a_dash():
    assert whole_percent(None) == "—"
