"""Leadership watches a checkup report compile: the page polls, then shows the report and stops polling."""

import datetime

import pytest
from playwright.sync_api import expect

from assessments.models import CheckupReport
from assessments.services.reports import report_compile
from assessments.tests.test_browser_dashboard import logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_report_page_polls_until_done_then_shows_the_report(browser, live_server, branch_a, branch_b, leader):
    report = CheckupReport.objects.create(
        period="month", period_start=datetime.date(2026, 3, 1), period_end=datetime.date(2026, 3, 31)
    )
    base = live_server.url
    page = logged_in_page(browser, base, "leader")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith(f"/reports/{report.pk}/status/") else None)
    page.goto(f"{base}/reports/{report.pk}/")
    expect(page.locator("#report-status [data-status=queued]")).to_be_visible()
    page.wait_for_timeout(2500)
    assert polls, "the page did not poll"
    assert report_compile(report.pk) == "done"  # the worker's part
    expect(page.locator("#checkup-report")).to_be_visible(timeout=6000)
    expect(page.locator("#report-status [data-status=done]")).to_be_visible()
    expect(page.locator("#report-summary tr[data-figure=members]")).to_be_visible()
    seen = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == seen, "polling went on after the report was done"
