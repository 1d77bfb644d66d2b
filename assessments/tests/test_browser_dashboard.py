"""Leadership walks bureau → branch → member and confirms a branch; the secretary is then locked out."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import BranchAssessment, YearEndAssessment
from assessments.services.indicators import indicators_recompute
from assessments.services.yearend import branch_submit, branch_verdicts_save
from members.models import Member
from members.tests.factories import PASSWORD
from training.models import Attendance
from training.tests.factories import LessonFactory, at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(browser, base_url, username, **options):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, **options)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def test_leadership_drills_down_and_confirms(
    browser, live_server, branch_a, branch_b, secretary, member, outsider, leader
):
    year = timezone.localdate().year
    lesson = LessonFactory(organiser=branch_a, start=at(year, 1, 10, 9), status="held")
    for user in (secretary, member):
        Attendance.objects.create(lesson=lesson, member=Member.objects.get(user=user), status="present")
    indicators_recompute(year)
    rows = YearEndAssessment.objects.filter(branch=branch_a, year=year)
    branch_verdicts_save(
        branch_id=branch_a.pk, year=year, verdicts={r.member_id: ("qualified", 85) for r in rows}, actor=secretary
    )
    branch_submit(branch_id=branch_a.pk, year=year, actor=secretary)
    base = live_server.url

    page = logged_in_page(browser, base, "leader")
    page.goto(f"{base}/assessments/?year={year}")
    expect(page.locator("[data-kpi=members]")).to_have_text("3")
    page.click(f"#branch-ranking a:has-text('{branch_a.name}')")
    page.wait_for_url(f"{base}/assessments/branches/{branch_a.pk}/?year={year}")
    page.click("#member-ranking a:has-text('张三')")
    me = Member.objects.get(user=member)
    page.wait_for_url(f"{base}/assessments/members/{me.pk}/{year}/")
    assert page.inner_text("#result-evaluation").strip() != "—"
    page.go_back()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("#confirm-branch")
    expect(page.locator("#branch-state")).to_contain_text("已确认")
    assert branch_a.name in asked[0] and "只读" in asked[0]  # it said what would happen before doing it
    assert BranchAssessment.objects.get(branch=branch_a, year=year).status == "confirmed"

    sec = logged_in_page(browser, base, "secretary")
    sec.goto(f"{base}/assessments/branches/{branch_a.pk}/{year}/verdicts/")
    assert sec.locator(f"select[name=evaluation_{me.pk}]").is_disabled()
    assert sec.locator("#verdicts-form button[type=submit]").count() == 0
    response = sec.request.post(
        f"{base}/assessments/branches/{branch_a.pk}/{year}/verdicts/",
        form={
            f"evaluation_{me.pk}": "unqualified",
            "csrfmiddlewaretoken": sec.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value"),
        },
        headers={"Referer": f"{base}/"},
    )
    assert response.status == 400
    assert YearEndAssessment.objects.get(member=me, year=year).evaluation == "qualified"
    page.context.close()
    sec.context.close()
