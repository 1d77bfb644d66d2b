"""Real Chromium (Debian's) against the live server."""

import pytest

from members.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_member_logs_in_on_a_phone_and_sees_their_home(browser, live_server, member):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    log_in(page, live_server.url, "member")
    assert page.locator("#my-lessons").is_visible()
    assert page.locator("#my-progress-section .progress").is_visible()
    assert "张三" in page.locator("h1").inner_text()
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The collapsed menu opens and offers the member's own record, not the member list.
    page.click(".navbar-toggler")
    page.wait_for_selector("#main-nav.show")
    assert page.locator("#main-nav a[href='/members/']").count() == 0
    assert page.locator("#main-nav a", has_text="我的档案").is_visible()
    assert problems == []  # the CSP blocked nothing the page needs
    context.close()


def test_leadership_logs_in_on_a_desktop_and_sees_every_branch(
    browser, live_server, leader, branch_a, branch_b, member, outsider
):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, live_server.url, "leader")
    table = page.locator("#all-branches + div table")
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    text = table.inner_text()
    assert branch_a.name in text and branch_b.name in text
    page.click(f"text={branch_b.name}")
    page.wait_for_url(f"{live_server.url}/branches/{branch_b.pk}/")
    assert page.locator("h1").inner_text().startswith(branch_b.name)
    context.close()
