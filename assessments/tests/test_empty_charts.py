"""A chart with nothing to count says 暂无数据 instead of drawing empty axes."""

import pytest
from django.urls import reverse

from training.tests.conftest import member_of

pytestmark = pytest.mark.django_db


def test_dashboard_of_a_year_without_records_says_no_data(client, leader, branch_a):
    client.force_login(leader)
    html = client.get(reverse("assessments:dashboard"), {"year": 2031}).content.decode()
    for chart in ("trend", "hours", "evaluation"):
        assert f'id="chart-{chart}-empty">暂无数据<' in html, chart
    assert 'data-chart="trend"' not in html


def test_dashboard_with_records_draws_the_charts(client, known, leader):
    client.force_login(leader)
    html = client.get(reverse("assessments:dashboard"), {"year": 2026}).content.decode()
    assert 'data-chart="trend"' in html and 'data-chart="hours"' in html
    assert "chart-trend-empty" not in html and "chart-hours-empty" not in html


def test_member_progress_without_hours_says_no_data(client, member):
    client.force_login(member)
    me = member_of(member)
    html = client.get(reverse("home")).content.decode()
    assert f'id="progress-chart-{me.pk}-' in html and "暂无数据" in html
    assert 'data-chart-source="progress-chart-' not in html
