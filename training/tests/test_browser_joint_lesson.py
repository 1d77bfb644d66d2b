"""The secretary's journey in a real Chromium: a joint lesson from invitation to check-in."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from branches.tests.factories import VenueFactory
from members.tests.factories import PASSWORD, MemberFactory, PostFactory, UserFactory
from training.models import Attendance, Lesson, LessonHost

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}


def logged_in_page(browser, base_url, username, viewport=DESKTOP, **options):
    context = browser.new_context(viewport=viewport, **options)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def test_joint_lesson_from_invitation_to_phone_check_in(browser, live_server, branch_a, branch_b, secretary, outsider):
    secretary_b = UserFactory(username="secretary_b")
    PostFactory(member=MemberFactory(user=secretary_b, branch=branch_b, full_name="书记乙"), branch=branch_b)
    shared = VenueFactory(owner=branch_b, name="运输所报告厅", capacity=80, is_shareable=True)
    base = live_server.url
    start = timezone.localtime() + datetime.timedelta(minutes=5)
    end = start + datetime.timedelta(hours=2)

    # Secretary of A creates the joint lesson.
    page_a = logged_in_page(browser, base, "secretary")
    page_a.goto(f"{base}/training/lessons/new/")
    page_a.fill("#id_title", "联合党课：交通强国建设")
    page_a.select_option("#id_kind", "party_lesson")
    page_a.fill("#id_start", start.strftime("%Y-%m-%dT%H:%M"))
    page_a.fill("#id_end", end.strftime("%Y-%m-%dT%H:%M"))
    page_a.select_option("#id_venue", str(shared.pk))
    page_a.fill("#id_new_lecturer_name", "王教授")
    page_a.fill("#id_new_lecturer_organisation", "县委党校")
    page_a.check(f"input[name=co_hosts][value='{branch_b.pk}']")
    page_a.click("button[name=action][value=publish]")
    page_a.wait_for_url(f"{base}/training/lessons/*/")
    lesson = Lesson.objects.get(title="联合党课：交通强国建设")
    assert lesson.status == "published" and lesson.venue == shared
    assert lesson.lecturer_outside.organisation == "县委党校"

    # Secretary of B accepts the invitation.
    page_b = logged_in_page(browser, base, "secretary_b")
    page_b.click(f"#secretary-todo a#todo-invitations[href='/training/lessons/{lesson.pk}/']")
    page_b.check("#invitation input[name=accept][value='1']")
    page_b.click("#invitation button[type=submit]")
    page_b.wait_for_selector(".alert-success")
    assert LessonHost.objects.get(lesson=lesson, branch=branch_b).status == "accepted"

    # A member of B finds it in their calendar on a phone.
    phone = logged_in_page(browser, base, "outsider", viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{base}/calendar/?view=week")
    assert phone.get_by_text("联合党课：交通强国建设").first.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The projector shows the rotating code; the member opens its link on the phone.
    page_a.goto(f"{base}/training/lessons/{lesson.pk}/projector/")
    page_a.wait_for_selector("#projector-code svg")
    check_in_url = page_a.get_attribute("#projector-code .projector-qr", "data-checkin-url")
    phone.goto(check_in_url)
    assert "已签到" in phone.inner_text("#check-in-result")
    row = Attendance.objects.get(lesson=lesson, member__user=outsider)
    assert row.status == "present" and row.checked_in_at is not None

    # The live list and A's attendance page show the member as checked in.
    expect(page_a.locator("#checked-in")).to_contain_text("李四", timeout=10000)
    page_a.goto(f"{base}/training/lessons/{lesson.pk}/attendance/")
    selected = page_a.eval_on_selector(f"input[name=status_{row.member_id}]:checked", "el => el.value")
    assert selected == "present"
    for page in (page_a, page_b, phone):
        page.context.close()
