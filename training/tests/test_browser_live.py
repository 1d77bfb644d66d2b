"""A live session in a real Chromium: the secretary runs a poll and a quiz, three members answer on 375-px phones."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.tests.factories import MemberFactory, UserFactory
from training.models import Attendance, LiveItem, Question, QuizResult
from training.services.lessons import audience_sync
from training.tests.factories import LessonFactory
from training.tests.test_browser_joint_lesson import PHONE, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_item(page, base, lesson, *, kind, text, options, correct="", explanation=""):
    page.goto(f"{base}/training/lessons/{lesson.pk}/live/control/")
    page.select_option("#id_kind", kind)
    page.fill("#id_text", text)
    page.fill("#id_options", "\n".join(options))
    page.fill("#id_correct", correct)
    page.fill("#id_explanation", explanation)
    page.click("#live-item-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    return LiveItem.objects.get(lesson=lesson, text=text)


def act(page, base, lesson, item, action):
    page.goto(f"{base}/training/lessons/{lesson.pk}/live/control/")
    page.click(f"form[action='/training/live/items/{item.pk}/{action}/'] button")
    page.wait_for_load_state()


def answer(phone, option_index):
    phone.wait_for_selector("#phone-answer-form", timeout=10000)
    phone.check(f"#phone-answer-form input[value='{option_index}']")
    phone.click("#phone-answer-form button[type=submit]")
    phone.wait_for_selector("#phone-answered")


def test_secretary_runs_a_poll_and_a_quiz_with_three_phones(browser, live_server, branch_a, secretary, member):
    base = live_server.url
    start = timezone.localtime() - datetime.timedelta(minutes=5)
    lesson = LessonFactory(
        organiser=branch_a, start=start, end=start + datetime.timedelta(hours=2), title="党课：交通强国"
    )
    for name in ("member2", "member3"):
        MemberFactory(user=UserFactory(username=name), branch=branch_a, full_name=f"党员{name[-1]}")
    audience_sync(lesson=lesson)
    # The three members checked in; the secretary runs the session from the front.
    Attendance.objects.filter(lesson=lesson, member__user__username__in=["member", "member2", "member3"]).update(
        status="present", checked_in_at=timezone.now()
    )

    control = logged_in_page(browser, base, "secretary")
    poll = add_item(
        control, base, lesson, kind="poll", text="哪种学习形式最有收获？", options=["专题讲座", "现场教学", "研讨交流"]
    )
    quiz = add_item(
        control,
        base,
        lesson,
        kind="quiz",
        text="党的根本宗旨是什么？",
        options=["全心全意为人民服务", "发展经济"],
        correct="A",
        explanation="党章总纲明确规定。",
    )
    control.on("dialog", lambda dialog: dialog.accept())
    act(control, base, lesson, poll, "open")

    presenter = logged_in_page(browser, base, "secretary")
    presenter.goto(f"{base}/training/lessons/{lesson.pk}/live/presenter/")
    expect(presenter.locator("#presenter-question")).to_have_text("哪种学习形式最有收获？")

    phones = [
        logged_in_page(browser, base, name, viewport=PHONE, is_mobile=True, has_touch=True)
        for name in ("member", "member2", "member3")
    ]
    for phone in phones:
        phone.goto(f"{base}/training/lessons/{lesson.pk}/live/")
    for phone, choice in zip(phones, [0, 1, 1], strict=True):
        answer(phone, choice)
    expect(presenter.locator("#presenter-count")).to_have_attribute("data-answered", "3", timeout=5000)
    expect(presenter.locator("#presenter-count")).to_have_attribute("data-present", "3")
    assert presenter.locator("#live-chart svg").count() == 1

    # One member asks on the wall; the two others upvote it once their wall shows it.
    phones[0].fill("#wall-text", "如何把党课内容和治超执法结合起来？")
    phones[0].click("#wall-form button[type=submit]")
    for phone in phones[1:]:
        phone.locator("#wall-list button.upvote").first.click(timeout=10000)
        # Once the vote is in, the phone's wall shows no upvote button for it.
        expect(phone.locator("#wall-list button.upvote")).to_have_count(0, timeout=5000)
    assert Question.objects.get(lesson=lesson, on_wall=True).upvotes == 2
    expect(presenter.locator("#presenter-wall li").first).to_contain_text("2 ▲", timeout=5000)

    act(control, base, lesson, poll, "reveal")
    expect(phones[1].locator("#phone-results")).to_contain_text("现场教学 — 2", timeout=5000)

    act(control, base, lesson, quiz, "open")
    for phone, choice in zip(phones, [0, 0, 1], strict=True):
        answer(phone, choice)
    act(control, base, lesson, quiz, "reveal")
    expect(phones[0].locator("#phone-verdict")).to_have_attribute("data-correct", "1", timeout=5000)
    expect(phones[2].locator("#phone-verdict")).to_have_attribute("data-correct", "0", timeout=5000)
    expect(phones[2].locator("#phone-items")).to_contain_text("党章总纲明确规定。")
    expect(presenter.locator("#presenter-count")).to_have_attribute("data-answered", "3", timeout=5000)
    for phone in phones:
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The lesson page and the members' own results agree with the projector.
    control.goto(f"{base}/training/lessons/{lesson.pk}/")
    for item in (poll, quiz):
        expect(control.locator(f"#live-result-list li[data-item='{item.pk}']")).to_have_attribute("data-answered", "3")
    phones[0].goto(f"{base}/training/lessons/{lesson.pk}/")
    expect(phones[0].locator("#my-quiz-result")).to_contain_text("100")
    assert sorted(QuizResult.objects.filter(lesson=lesson).values_list("score", flat=True)) == [0, 100, 100]
    for page in (control, presenter, *phones):
        page.context.close()
