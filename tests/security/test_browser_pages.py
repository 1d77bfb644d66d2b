"""The new security pages on a 375-px phone, in Debian's Chromium: no sideways scrolling, nothing blocked."""

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from members.models import IdentityAccess, Member
from tests.test_browser import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_pages_and_error_page_fit_a_phone(browser, live_server, admin_user, member, secretary):
    target = Member.objects.get(user=member)
    IdentityAccess.objects.create(
        viewer=secretary, viewer_name="secretary", member=target, field="id_number", where=f"/members/{target.pk}/"
    )
    AccessAttempt.objects.create(
        username="secretary",
        ip_address="203.0.113.7",
        user_agent="x",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    log_in(page, live_server.url, "admin")
    for path, text in (
        ("/members/access-log/", "张三"),
        ("/members/lockouts/", "secretary"),
        (f"/members/{target.pk}/edit/", "张三"),
        ("/no/such/page/", "返回首页"),
    ):
        page.goto(f"{live_server.url}{path}")
        assert text in page.content(), path
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    assert problems == [] or all("404" in p for p in problems)
    context.close()
