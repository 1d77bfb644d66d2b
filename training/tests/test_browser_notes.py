"""The member's journey on a phone: a reflection on an assignment, returned once, then passed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import StaleFigures
from members.tests.factories import PASSWORD
from training.models import AssignmentTarget, StudyNote
from training.services.study import assignment_create
from training.tasks import refresh_figures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def logged_in_page(browser, base_url, username, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def test_reflection_returned_revised_and_passed(browser, live_server, branch_a, secretary, member):
    assignment = assignment_create(
        data={
            "title": "学习《习近平新时代中国特色社会主义思想专题摘编》",
            "due_on": timezone.localdate() + datetime.timedelta(days=5),
            "min_hours": Decimal("2"),
        },
        branch=branch_a,
        branch_ids=[branch_a.pk],
        member_ids=[],
        actor=secretary,
    )
    base = live_server.url
    phone = logged_in_page(browser, base, "member", viewport=PHONE, is_mobile=True, has_touch=True)

    # The member opens the assignment and writes a reflection on the phone.
    phone.goto(f"{base}/study/assignments/{assignment.pk}/")
    phone.click("#write-reflection")
    phone.fill("#id_title", "专题摘编学习心得")
    phone.fill("#id_hours", "2")
    phone.fill("#id_body", "通过学习专题摘编，我深刻认识到交通运输工作要坚持人民至上，把群众出行安全放在首位。")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.click("button[name=action][value=submit]")
    expect(phone.locator("#note-status")).to_contain_text("待审阅")
    note = StudyNote.objects.get(title="专题摘编学习心得")
    assert note.status == "submitted" and note.assignment_id == assignment.pk

    # The secretary returns it with a comment.
    desk = logged_in_page(browser, base, "secretary", viewport=DESKTOP)
    desk.goto(f"{base}/study/review/")
    desk.click(f"#review-queue a[href='/study/notes/{note.pk}/']")
    desk.check("input[name=decision][value=return]")
    desk.fill("#id_comment", "请结合本职工作写具体做法。")
    desk.click("#review-form button[type=submit]")
    desk.wait_for_url(f"{base}/study/review/")
    note.refresh_from_db()
    assert note.status == "returned"

    # The member revises and resubmits; the reviewer's comment is shown while editing.
    phone.goto(f"{base}/study/notes/{note.pk}/")
    expect(phone.locator("#review-comment")).to_contain_text("请结合本职工作")
    phone.click(f"a[href='/study/notes/{note.pk}/edit/']")
    phone.fill(
        "#id_body", "通过学习专题摘编，我认识到要坚持人民至上。在养护工作中，我带头排查桥梁隐患三处，并已整改完毕。"
    )
    phone.click("button[name=action][value=submit]")
    expect(phone.locator("#note-status")).to_contain_text("待审阅")

    # The secretary sees both versions and passes it.
    desk.goto(f"{base}/study/notes/{note.pk}/")
    assert desk.locator("#note-versions details").count() == 2
    desk.check("input[name=decision][value=pass]")
    desk.select_option("#id_grade", "good")
    desk.click("#review-form button[type=submit]")
    desk.wait_for_url(f"{base}/study/review/")
    note.refresh_from_db()
    assert (note.status, note.grade) == ("passed", "good")

    # The member's assignment is done.
    phone.goto(f"{base}/study/assignments/{assignment.pk}/")
    expect(phone.locator("#my-assignment-status")).to_contain_text("已完成")
    assert AssignmentTarget.objects.get(assignment=assignment, member__user=member).status == "done"
    # The pass marked the member's figures stale; the worker's task counts them into the ledger.
    assert StaleFigures.objects.filter(member__user=member).exists()
    assert refresh_figures.apply().get() >= 1
    phone.goto(f"{base}/")
    expect(phone.locator("#my-progress-section [data-hours=self-study]")).to_have_text("2")
    for page in (phone, desk):
        page.context.close()
