"""Real Chromium: the general-branch secretary works in their subtree and is refused elsewhere."""

import pytest

from members.tests.factories import MemberFactory
from tests.test_browser import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_general_branch_secretary_drills_down_and_is_refused_outside(
    browser, live_server, gb_secretary, general_branch, general_children, branch_a, bureau2_branch
):
    first, _second = general_children
    MemberFactory(branch=first, full_name="王支部")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_server.url, "gb_secretary")
    page.goto(f"{live_server.url}/assessments/")
    assert general_branch.name in page.locator("#dashboard-title").inner_text()
    # On a phone the ranking is a list: tap a branch for its figures and the way down.
    ranking = page.locator("#branch-ranking-phone").inner_text()
    assert first.name in ranking and branch_a.name not in ranking
    # The list is built from the ranking table's rows: numbered from 1, the table itself hidden.
    assert page.locator("#branch-ranking-phone li .badge").first.inner_text() == "1"
    assert not page.locator("#branch-ranking").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Down to a child branch, then to its member.
    entry = page.locator("#branch-ranking-phone li", has_text=first.name)
    entry.locator("summary").click()
    entry.locator("a.ranking-open").click()
    page.wait_for_url(f"{live_server.url}/assessments/branches/{first.pk}/**")
    page.goto(f"{live_server.url}/branches/{first.pk}/")
    assert page.locator("h1").inner_text().startswith(first.name)
    # A branch outside the subtree, and another bureau's branch of the same name as branch A: not found.
    for outside in (branch_a, bureau2_branch):
        response = page.goto(f"{live_server.url}/branches/{outside.pk}/")
        assert response.status == 404
    context.close()
