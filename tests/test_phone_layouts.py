"""Every page, as every role, on a 375-px phone (real Chromium).

The page list comes from tests/test_url_roles.py: each named URL pattern
whose GET answers 200 for the role is opened once, with that file's URL
arguments, so a new URL pattern is covered here as soon as it has a rule
there. File downloads (anything but text/html) and htmx fragments (no
<html> document) are skipped: fragments are checked inside their pages.

On each page, at 375 x 812:

- the page itself never scrolls sideways
  (document.scrollingElement.scrollWidth <= innerWidth, taking the
  screen's 375 px where a mobile layout viewport has widened to fit the
  overflow); a wide table scrolls inside its own frame instead;
- no visible element whose own text has two or more characters is
  narrower than 2 em while that text runs over more than one line, which
  is what a column squeezed to one character per line looks like;
- nothing is logged as a console error and no script throws;
- tap targets are at least 44 x 44 px. Tap targets are the visible
  buttons (button, .btn, [role=button], input type=submit/button),
  navigation links (.nav-link, .navbar-brand, .navbar-toggler,
  .page-link, .dropdown-item, .list-group-item-action), icon links (a link
  with no text of its own, only an icon) and form fields (.form-control,
  .form-select). Links inside running text (a sentence, a table cell, a
  breadcrumb) are not tap targets in this sense and are left out, as are
  check boxes and radio buttons, whose tap box is their label.
"""

import datetime
import os
import pathlib

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError

from members.tests.factories import MemberFactory
from tests.test_url_roles import ADMIN, APP_NAMES, EXPECTED, LEADER, MEMBER, SECRETARY, build_url, url_args

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
ROLES = (
    tuple(os.environ.get("PHONE_ROLES", "").split(","))
    if os.environ.get("PHONE_ROLES")
    else (MEMBER, SECRETARY, LEADER, ADMIN)
)
LONG_TITLE = "学习贯彻习近平新时代中国特色社会主义思想主题教育暨党纪学习教育专题党课（第二讲）"

__all__ = ["url_args"]  # the fixture, reused as is

MEASURE = """
() => {
  const problems = [];
  // A mobile browser widens its layout viewport (and innerWidth) to fit
  // content that overflows, so compare with the screen itself.
  const width = Math.min(window.innerWidth, window.screen.width);
  const scrolling = document.scrollingElement.scrollWidth;
  if (scrolling > width) {
    // Name the widest culprits so the failure says where to look.
    // Absolutely placed elements escape their scroll frames: list them first.
    const placed = (el) => ['absolute', 'fixed'].includes(getComputedStyle(el).position) ? 0 : 1;
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .sort((a, b) => placed(a) - placed(b))
      .slice(0, 3).map(describe);
    problems.push(`page scrolls sideways: scrollWidth ${scrolling} > ${width}; ${wide.join(' | ')}`);
  }
  function describe(el) {
    const names = typeof el.className === 'string' ? el.className.trim() : '';
    const cls = names ? '.' + names.split(/\\s+/).join('.') : '';
    const id = el.id ? '#' + el.id : '';
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30);
    const r = el.getBoundingClientRect();
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}" ${Math.round(r.width)}x${Math.round(r.height)}`;
  }
  function shown(el) {
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;  // visually hidden
    return el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  }
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE);
    const text = own.map((n) => n.textContent).join('').replace(/\\s+/g, '');
    if (text.length < 2 || !shown(el)) continue;
    const em = parseFloat(getComputedStyle(el).fontSize);
    const r = el.getBoundingClientRect();
    if (r.width >= 2 * em) continue;
    let lines = 0;
    for (const node of own) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
      lines += tops.size;
    }
    if (lines > 1) problems.push(`text one character per line: ${describe(el)}`);
  }
  const targets = `button, .btn, [role=button], input[type=submit], input[type=button], .nav-link,
    .navbar-brand, .navbar-toggler, .page-link, .dropdown-item, .list-group-item-action,
    .form-control, .form-select, a`;
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el)) continue;
    const named = '.btn, .nav-link, .navbar-brand, .page-link, .dropdown-item, .list-group-item-action, [role=button]';
    if (el.tagName === 'A' && !el.matches(named)) {
      // A plain link is a tap target of its own only when it is an icon.
      if ((el.innerText || '').trim() !== '') continue;
    }
    const r = el.getBoundingClientRect();
    if (r.width < 44 || r.height < 44) problems.push(`tap target under 44x44 px: ${describe(el)}`);
  }
  return problems;
}
"""


@pytest.fixture
def phone_data(branch_a, committee, personas):
    """Give branch A fifty members and a few more branches with long names."""
    for n in range(48):
        MemberFactory(branch=branch_a, full_name=f"欧阳{n:02d}号" if n % 7 else f"阿卜杜热合曼·买买提{n}")
    names = ("县公路管理段第二党支部", "县道路运输管理所退休党员党支部", "县交通工程质量监督站党支部")
    from branches.tests.factories import BranchFactory

    for n, name in enumerate(names):
        other = BranchFactory(name=name, code=f"phone{n}", parent=committee)
        for m in range(3):
            MemberFactory(branch=other, full_name=f"王{n}{m}")


@pytest.fixture
def phone_urls(phone_data, url_args):
    """Fill the lesson's attendance, give it a long title, and compile the checkup report."""
    from assessments.models import CheckupReport
    from assessments.selectors.reports import report_figures
    from assessments.selectors.supervision import local_today
    from training.models import Attendance, Lesson

    Lesson.objects.filter(pk=url_args["lesson_id"]).update(title=LONG_TITLE)
    rows = list(Attendance.objects.filter(lesson_id=url_args["lesson_id"]).order_by("pk"))
    assert len(rows) >= 40
    for n, row in enumerate(rows[:20]):
        row.status = Attendance.Status.PRESENT if n % 4 else Attendance.Status.LATE
        row.save(update_fields=["status"])
    report = CheckupReport.objects.get(pk=url_args["report_id"])
    report.figures = report_figures(
        period=report.period,
        start=report.period_start - datetime.timedelta(days=300),
        end=report.period_end,
        branch=report.branch,
        today=local_today(),
    )
    report.save(update_fields=["figures"])
    return url_args


def console_error(message):
    """Return an error message with the address it came from, or None."""
    where = message.location.get("url") if message.location else ""
    # Chromium asks for /favicon.ico by itself after showing a file that is
    # not a page (the calendar feed); the pages name their icon in <head>.
    if message.type != "error" or where.endswith("/favicon.ico"):
        return None
    return f"{message.text} ({where})" if where else message.text


def open_page(page, url):
    """Open url; return False for a file download, an error status or an htmx fragment."""
    try:
        response = page.goto(url, wait_until="load")
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            return False
        raise
    if response is None or response.status != 200:
        return False
    if not response.headers.get("content-type", "").startswith("text/html"):
        return False
    return b"<html" in response.body()[:500]


def test_every_page_reads_on_a_phone(browser, live_server, client, personas, phone_urls):
    """Open every page each role may open at 375 px; list every problem, naming role, URL and element."""
    shots = os.environ.get("PHONE_SHOTS")  # a folder: keep a full-page PNG of each page there
    failures, visited = [], 0
    for persona in ROLES:
        client.force_login(personas[persona])
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        page = context.new_page()
        errors = []
        page.on("console", lambda message, errors=errors: errors.append(console_error(message)))
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        for name in APP_NAMES:
            if EXPECTED[name][persona] != 200:
                continue
            url = build_url(name, phone_urls)
            errors.clear()
            if not open_page(page, f"{live_server.url}{url}"):
                continue
            visited += 1
            problems = page.evaluate(MEASURE) + [f"console error: {e}" for e in errors if e]
            failures += [f"{persona} {url} ({name}): {problem}" for problem in problems]
            if shots:
                path = pathlib.Path(shots) / f"{persona}-{name.replace(':', '-')}.png"
                page.screenshot(path=path, full_page=True)
        context.close()
    assert visited >= 25 * len(ROLES)
    assert failures == [], "\n".join(failures)
