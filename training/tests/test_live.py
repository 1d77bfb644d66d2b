"""The live session: answering once, closing, anonymity, the question wall, quiz results and the pages."""

import subprocess
import threading

import pytest
from django.db import connection
from django.urls import reverse

from members.tests.factories import MemberFactory
from training.models import Attendance, LiveAnswer, LiveItem, LiveParticipation, LiveTally, Question, QuizResult
from training.selectors.live import item_result, lesson_live_summary, live_version
from training.services.live import (
    AnswerRefused,
    live_answer_submit,
    live_item_close,
    live_item_create,
    live_item_open,
    live_item_reveal,
    wall_question_moderate,
    wall_question_post,
    wall_question_upvote,
)
from training.tests.conftest import member_of

pytestmark = pytest.mark.django_db


def checked_in(lesson, member, status="present"):
    Attendance.objects.update_or_create(lesson=lesson, member=member, defaults={"status": status})
    return member


def poll(lesson, actor, **kwargs):
    data = {"kind": "poll", "text": "本支部最需要的学习形式？", "options": ["专题讲座", "现场教学", "研讨"]}
    return live_item_create(lesson=lesson, actor=actor, **{**data, **kwargs})


def quiz(lesson, actor, **kwargs):
    data = {
        "kind": "quiz",
        "text": "党的最高理想和最终目标是？",
        "options": ["实现共产主义", "全面小康"],
        "correct": [0],
        "explanation": "党章总纲。",
    }
    return live_item_create(lesson=lesson, actor=actor, **{**data, **kwargs})


def test_member_answers_once_and_second_answer_is_refused(lesson_a, secretary, member):
    me = checked_in(lesson_a, member_of(member))
    item = live_item_open(item=poll(lesson_a, secretary), actor=secretary)
    live_answer_submit(item=item, member=me, choices=["1"])
    with pytest.raises(AnswerRefused):
        live_answer_submit(item=item, member=me, choices=["2"])
    assert list(LiveAnswer.objects.filter(item=item).values_list("choices", flat=True)) == [[1]]


def test_poll_that_allows_changes_replaces_the_answer(lesson_a, secretary, member):
    me = checked_in(lesson_a, member_of(member))
    item = live_item_open(item=poll(lesson_a, secretary, allow_change=True), actor=secretary)
    live_answer_submit(item=item, member=me, choices=[0])
    live_answer_submit(item=item, member=me, choices=[2])
    assert item_result(item).counts == [0, 0, 1]


def test_answers_before_open_and_after_close_are_refused(lesson_a, secretary, member):
    me = checked_in(lesson_a, member_of(member))
    item = poll(lesson_a, secretary)
    with pytest.raises(AnswerRefused):
        live_answer_submit(item=item, member=me, choices=[0])
    live_item_open(item=item, actor=secretary)
    live_item_close(item=item, actor=secretary)
    with pytest.raises(AnswerRefused, match="截止"):
        live_answer_submit(item=item, member=me, choices=[0])
    assert not LiveAnswer.objects.exists()


def test_member_not_checked_in_cannot_answer(lesson_a, secretary, member):
    item = live_item_open(item=poll(lesson_a, secretary), actor=secretary)
    for status in ("unmarked", "absent", "leave"):
        checked_in(lesson_a, member_of(member), status=status)
        with pytest.raises(AnswerRefused):
            live_answer_submit(item=item, member=member_of(member), choices=[0])
    checked_in(lesson_a, member_of(member), status="late")
    live_answer_submit(item=item, member=member_of(member), choices=[0])
    assert item_result(item).answered == 1


def test_anonymous_poll_stores_no_member_with_the_answer(lesson_a, secretary, member):
    me = checked_in(lesson_a, member_of(member))
    other = checked_in(lesson_a, MemberFactory(branch=lesson_a.organiser))
    item = live_item_open(item=poll(lesson_a, secretary, anonymous=True), actor=secretary)
    live_answer_submit(item=item, member=me, choices=[1])
    live_answer_submit(item=item, member=other, choices=[2])
    with pytest.raises(AnswerRefused):
        live_answer_submit(item=item, member=me, choices=[0])
    assert not LiveAnswer.objects.filter(item=item).exists()
    # The tally has no member column; who answered is counted apart, without the option.
    assert {f.name for f in LiveTally._meta.get_fields()} == {"id", "item", "option", "count"}
    assert {f.name for f in LiveParticipation._meta.get_fields()} == {"id", "item", "member"}
    result = item_result(item)
    assert (result.counts, result.answered) == ([0, 1, 1], 2)
    # Not even PostgreSQL's row versions tell which option the last answer chose.
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT xmin::text FROM training_livetally WHERE item_id = %s", [item.pk])
        assert len(cursor.fetchall()) == 1


def test_anonymous_quiz_is_not_possible(lesson_a, secretary):
    item = quiz(lesson_a, secretary, anonymous=True)
    assert item.anonymous is False


def test_quiz_reveal_keeps_each_members_result(lesson_a, secretary, member):
    me = checked_in(lesson_a, member_of(member))
    other = checked_in(lesson_a, MemberFactory(branch=lesson_a.organiser))
    first = live_item_open(item=quiz(lesson_a, secretary), actor=secretary)
    live_answer_submit(item=first, member=me, choices=[0])
    live_answer_submit(item=first, member=other, choices=[1])
    live_item_reveal(item=first, actor=secretary)
    second = live_item_open(item=quiz(lesson_a, secretary, text="入党誓词中“永不叛党”？", correct=[1]), actor=secretary)
    live_answer_submit(item=second, member=me, choices=[1])
    live_item_reveal(item=second, actor=secretary)
    results = {r.member_id: (r.correct, r.total, r.score) for r in QuizResult.objects.filter(source="live")}
    assert results == {me.pk: (2, 2, 100), other.pk: (0, 2, 0)}
    summary = lesson_live_summary(lesson_a, member=me)
    assert (summary.my_result.score, summary.quiz_average) == (100, 50)
    # Three answers to two questions with two present.
    assert summary.participation_percent == 75


def test_opening_a_question_closes_the_open_one(lesson_a, secretary):
    first = live_item_open(item=poll(lesson_a, secretary), actor=secretary)
    live_item_open(item=poll(lesson_a, secretary, text="第二题"), actor=secretary)
    first.refresh_from_db()
    assert first.status == LiveItem.Status.CLOSED


def test_quiz_needs_a_correct_answer_among_the_options(lesson_a, secretary):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        quiz(lesson_a, secretary, correct=[5])
    with pytest.raises(ValidationError):
        poll(lesson_a, secretary, options=["只有一个"])


def test_question_wall_upvotes_once_and_moderation(lesson_a, secretary, member):
    me = checked_in(lesson_a, member_of(member))
    other = checked_in(lesson_a, MemberFactory(branch=lesson_a.organiser))
    question = wall_question_post(lesson=lesson_a, member=other, text="如何落实“三会一课”？", anonymous=True)
    assert wall_question_upvote(question=question, member=me) is True
    assert wall_question_upvote(question=question, member=me) is False
    with pytest.raises(AnswerRefused):
        wall_question_upvote(question=question, member=other)
    question.refresh_from_db()
    assert question.upvotes == 1
    wall_question_moderate(question=question, action="pin", actor=secretary)
    wall_question_moderate(question=question, action="hide", actor=secretary)
    assert Question.objects.filter(pk=question.pk, is_pinned=True, is_hidden=True).exists()
    # The anonymous question keeps its member for the organiser's records.
    assert question.member_id == other.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_by_one_member_count_once(branch_a, secretary, member):
    from training.tests.factories import LessonFactory

    lesson = LessonFactory(organiser=branch_a)
    me = checked_in(lesson, member_of(member))
    item = live_item_open(item=poll(lesson, secretary), actor=secretary)
    barrier = threading.Barrier(4)
    outcomes = []

    def answer():
        barrier.wait()
        try:
            live_answer_submit(item=item, member=me, choices=[0])
            outcomes.append("ok")
        except AnswerRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert LiveAnswer.objects.filter(item=item).count() == 1


# --- pages ---------------------------------------------------------------


def test_phone_poll_answers_204_until_the_state_changes(client, lesson_a, secretary, member):
    client.force_login(member)
    page = client.get(reverse("training:live_phone", args=[lesson_a.pk]))
    assert page.status_code == 200
    url = reverse("training:live_phone_items", args=[lesson_a.pk])
    version = live_version(lesson_a.pk, "items")
    assert client.get(url, {"v": version}).status_code == 204
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        live_item_open(item=poll(lesson_a, secretary), actor=secretary)
    response = client.get(url, {"v": version})
    assert response.status_code == 200 and "本支部最需要的学习形式" in response.content.decode()


def test_answer_through_the_phone_and_projector_counts(client, lesson_a, secretary, member):
    checked_in(lesson_a, member_of(member))
    item = live_item_open(item=poll(lesson_a, secretary), actor=secretary)
    client.force_login(member)
    response = client.post(reverse("training:live_answer", args=[item.pk]), {"choice": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="phone-answered"' in response.content.decode()
    again = client.post(reverse("training:live_answer", args=[item.pk]), {"choice": "0"}, HTTP_HX_REQUEST="true")
    assert 'id="phone-error"' in again.content.decode()
    client.force_login(secretary)
    state = client.get(reverse("training:live_presenter_state", args=[lesson_a.pk])).content.decode()
    assert 'data-answered="1" data-present="1"' in state
    assert 'data-counts="0,1,0"' in state


def test_member_of_another_branch_gets_404(client, lesson_a, secretary, outsider):
    item = live_item_open(item=poll(lesson_a, secretary), actor=secretary)
    question = Question.objects.create(lesson=lesson_a, member=member_of(secretary), text="?", on_wall=True)
    client.force_login(outsider)
    assert client.get(reverse("training:live_phone", args=[lesson_a.pk])).status_code == 404
    assert client.get(reverse("training:live_phone_items", args=[lesson_a.pk])).status_code == 404
    assert client.post(reverse("training:live_answer", args=[item.pk]), {"choice": "0"}).status_code == 404
    assert client.post(reverse("training:wall_upvote", args=[question.pk])).status_code == 404
    assert client.post(reverse("training:live_item_action", args=[item.pk, "close"])).status_code == 404
    assert not LiveAnswer.objects.exists()


def test_plain_member_cannot_run_the_session(client, lesson_a, secretary, member):
    item = live_item_open(item=poll(lesson_a, secretary), actor=secretary)
    client.force_login(member)
    assert client.post(reverse("training:live_item_action", args=[item.pk, "close"])).status_code == 403
    assert client.get(reverse("training:live_control", args=[lesson_a.pk])).status_code == 403
    item.refresh_from_db()
    assert item.status == "open"


def test_lecturer_member_runs_the_session(client, lesson_a, outsider):
    lesson_a.lecturer_member = member_of(outsider)
    lesson_a.save()
    from training.models import LessonHost

    LessonHost.objects.create(lesson=lesson_a, branch=member_of(outsider).branch, status="accepted")
    client.force_login(outsider)
    assert client.get(reverse("training:live_control", args=[lesson_a.pk])).status_code == 200


def test_results_on_the_lesson_page_and_pdf(client, lesson_a, secretary, member, tmp_path):
    me = checked_in(lesson_a, member_of(member))
    item = live_item_open(item=quiz(lesson_a, secretary), actor=secretary)
    live_answer_submit(item=item, member=me, choices=[0])
    live_item_reveal(item=item, actor=secretary)
    client.force_login(member)
    page = client.get(lesson_a.get_absolute_url()).content.decode()
    assert 'id="my-quiz-result"' in page and 'data-answered="1"' in page
    client.force_login(secretary)
    for n in range(11):
        live_item_create(
            lesson=lesson_a, kind="poll", text=f"第{n}个投票问题", options=["同意", "不同意"], actor=secretary
        )
        wall_question_post(lesson=lesson_a, member=me, text=f"第{n}个问题：如何结合岗位学习？", anonymous=False)
    for item in LiveItem.objects.filter(lesson=lesson_a, status="draft"):
        live_item_open(item=item, actor=secretary)
    pdf = client.get(reverse("training:live_summary_pdf", args=[lesson_a.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf.content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "党的最高理想" in text


def test_poll_middleware_matches_the_poll_urls_and_answers_204_without_queries(
    client, lesson_a, member, django_assert_num_queries
):
    from training.middleware import POLL_PATH

    for name in ("training:live_phone_items", "training:live_phone_wall"):
        assert POLL_PATH.match(reverse(name, args=[lesson_a.pk]))
    client.force_login(member)
    url = reverse("training:live_phone_items", args=[lesson_a.pk])
    version = live_version(lesson_a.pk, "items")
    with django_assert_num_queries(0):
        assert client.get(url, {"v": version}).status_code == 204
    # A stale or missing version goes to the view, which checks who asks.
    assert client.get(url, {"v": "old"}).status_code == 200
    client.logout()
    assert client.get(url, {"v": "old"}).status_code == 302


def test_hidden_wall_question_leaves_the_lesson_page_for_members_only(client, lesson_a, secretary, member):
    me = checked_in(lesson_a, member_of(member))
    question = wall_question_post(lesson=lesson_a, member=me, text="一个不合适的问题", anonymous=False)
    wall_question_moderate(question=question, action="hide", actor=secretary)
    client.force_login(member)
    assert "一个不合适的问题" not in client.get(lesson_a.get_absolute_url()).content.decode()
    client.force_login(secretary)
    assert "一个不合适的问题" in client.get(lesson_a.get_absolute_url()).content.decode()


def test_timed_question_refuses_answers_after_its_time(lesson_a, secretary, member):
    import datetime

    me = checked_in(lesson_a, member_of(member))
    item = live_item_open(item=quiz(lesson_a, secretary, time_limit=30), actor=secretary)
    with pytest.raises(AnswerRefused):
        live_answer_submit(item=item, member=me, choices=[0], now=item.opened_at + datetime.timedelta(seconds=31))
    live_answer_submit(item=item, member=me, choices=[0], now=item.opened_at + datetime.timedelta(seconds=29))
    assert LiveAnswer.objects.filter(item=item).count() == 1


@pytest.mark.django_db(transaction=True)
def test_answers_racing_the_close_are_counted_or_refused_never_after(branch_a, secretary):
    from training.tests.factories import LessonFactory

    lesson = LessonFactory(organiser=branch_a)
    people = [checked_in(lesson, MemberFactory(branch=branch_a)) for _ in range(6)]
    item = live_item_open(item=poll(lesson, secretary), actor=secretary)
    barrier = threading.Barrier(len(people) + 1)
    accepted = []

    def answer(person):
        barrier.wait()
        try:
            live_answer_submit(item=item, member=person, choices=[0])
            accepted.append(person.pk)
        except AnswerRefused:
            pass
        finally:
            connection.close()

    def close():
        barrier.wait()
        try:
            live_item_close(item=item, actor=secretary)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(p,)) for p in people] + [threading.Thread(target=close)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    item.refresh_from_db()
    stored = LiveAnswer.objects.filter(item=item)
    assert item.status == "closed"
    # Every answer told "received" is stored, and every refused one is not.
    assert sorted(stored.values_list("member_id", flat=True)) == sorted(accepted)
