import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from members.tests.factories import PASSWORD, MemberFactory
from training.models import Attendance, Lesson
from training.services.lessons import CHECKIN_STEP_SECONDS, checkin_token
from training.tests.conftest import member_of
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


def check_in_url(lesson, token):
    return reverse("training:check_in", kwargs={"lesson_id": lesson.pk, "token": token})


def row(lesson, user):
    return Attendance.objects.get(lesson=lesson, member=member_of(user))


def test_scan_marks_present_and_twice_changes_nothing(client, member, lesson_a):
    with time_machine.travel(lesson_a.start - datetime.timedelta(minutes=5)):
        client.force_login(member)
        response = client.get(check_in_url(lesson_a, checkin_token(lesson_a)))
        assert response.status_code == 200
        first = row(lesson_a, member)
        assert first.status == "present"
    with time_machine.travel(lesson_a.start + datetime.timedelta(minutes=30)):
        client.force_login(member)
        client.get(check_in_url(lesson_a, checkin_token(lesson_a)))
    again = row(lesson_a, member)
    assert (again.status, again.checked_in_at) == ("present", first.checked_in_at)


def test_scan_after_grace_period_is_late(client, member, lesson_a):
    with time_machine.travel(lesson_a.start + datetime.timedelta(minutes=lesson_a.grace_minutes + 1)):
        client.force_login(member)
        client.get(check_in_url(lesson_a, checkin_token(lesson_a)))
    assert row(lesson_a, member).status == "late"


def test_expired_code_is_refused(client, member, lesson_a):
    with time_machine.travel(lesson_a.start - datetime.timedelta(minutes=2)):
        old = checkin_token(lesson_a)
    with time_machine.travel(
        lesson_a.start - datetime.timedelta(minutes=2) + datetime.timedelta(seconds=CHECKIN_STEP_SECONDS * 4)
    ):
        client.force_login(member)
        response = client.get(check_in_url(lesson_a, old))
    assert response.status_code == 400 and "过期" in response.content.decode()
    assert row(lesson_a, member).status == "unmarked"


def test_forged_code_is_refused(client, member, lesson_a):
    client.force_login(member)
    token = checkin_token(lesson_a)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(check_in_url(lesson_a, forged))
    assert response.status_code == 400
    assert row(lesson_a, member).status == "unmarked"


def test_another_lessons_code_is_refused(client, member, lesson_a, branch_a):
    other = LessonFactory(organiser=branch_a, start=lesson_a.start, end=lesson_a.end)
    with time_machine.travel(lesson_a.start):
        client.force_login(member)
        response = client.get(check_in_url(lesson_a, checkin_token(other)))
    assert response.status_code == 400
    assert row(lesson_a, member).status == "unmarked"


def test_member_outside_the_audience_cannot_check_in(client, outsider, lesson_a):
    with time_machine.travel(lesson_a.start):
        client.force_login(outsider)
        response = client.get(check_in_url(lesson_a, checkin_token(lesson_a)))
    assert response.status_code == 404
    assert not Attendance.objects.filter(lesson=lesson_a, member=member_of(outsider)).exists()


def test_check_in_is_closed_long_before_the_start(client, member, lesson_a):
    client.force_login(member)
    with time_machine.travel(lesson_a.start - datetime.timedelta(hours=1)):
        response = client.get(check_in_url(lesson_a, checkin_token(lesson_a)))
    assert response.status_code == 400
    assert row(lesson_a, member).status == "unmarked"


def test_scan_while_logged_out_checks_in_after_login(client, member, lesson_a):
    with time_machine.travel(lesson_a.start, tick=True):
        response = client.get(check_in_url(lesson_a, checkin_token(lesson_a)))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        login_page = client.get(response["Location"]).content.decode()
        assert 'id="check-in-pending"' in login_page and "登录后将自动完成签到" in login_page
        response = client.post(response["Location"], {"username": "member", "password": PASSWORD})
        assert response["Location"] == reverse("training:check_in_resume")
        response = client.get(response["Location"])
    assert response.status_code == 200
    assert row(lesson_a, member).status == "present"


def test_secretary_marks_200_members_in_one_request_with_bulk_writes(
    client, secretary, branch_a, lesson_a, django_assert_max_num_queries
):
    from training.services.lessons import audience_sync

    MemberFactory.create_batch(200, branch=branch_a)
    audience_sync(lesson=lesson_a)
    rows = list(Attendance.objects.filter(lesson=lesson_a).values_list("member_id", flat=True))
    assert len(rows) == 202
    data = {f"status_{m}": "absent" for m in rows}
    client.force_login(secretary)
    client.get(reverse("home"))
    with django_assert_max_num_queries(20):
        response = client.post(reverse("training:attendance", args=[lesson_a.pk]), data)
    assert response.status_code == 302
    assert Attendance.objects.filter(lesson=lesson_a, status="absent").count() == 202


def test_marking_present_without_a_scan_needs_a_reason_and_saves_nothing(client, secretary, member, lesson_a):
    me, them = member_of(secretary), member_of(member)
    client.force_login(secretary)
    url = reverse("training:attendance", args=[lesson_a.pk])
    response = client.post(url, {f"status_{me.pk}": "absent", f"status_{them.pk}": "present"})
    assert response.status_code == 400
    assert set(Attendance.objects.filter(lesson=lesson_a).values_list("status", flat=True)) == {"unmarked"}
    assert "原因" in response.content.decode()
    response = client.post(
        url, {f"status_{me.pk}": "absent", f"status_{them.pk}": "present", f"reason_{them.pk}": "手机没电，现场确认"}
    )
    assert response.status_code == 302
    assert row(lesson_a, member).reason == "手机没电，现场确认"


def test_projector_code_is_a_qr_for_the_check_in_link(client, secretary, lesson_a):
    client.force_login(secretary)
    response = client.get(reverse("training:projector_code", args=[lesson_a.pk]))
    html = response.content.decode()
    assert "<svg" in html and f"/training/lessons/{lesson_a.pk}/check-in/" in html


def test_projector_list_shows_who_checked_in(client, secretary, member, lesson_a):
    Attendance.objects.filter(lesson=lesson_a, member=member_of(member)).update(
        status="present", checked_in_at=timezone.now()
    )
    client.force_login(secretary)
    html = client.get(reverse("training:projector_list", args=[lesson_a.pk])).content.decode()
    checked, waiting = html.split('id="not-checked-in"')
    assert "张三" in checked and "书记甲" in waiting


def test_draft_lesson_refuses_check_in(client, member, branch_a):
    draft = LessonFactory(organiser=branch_a, status=Lesson.Status.DRAFT)
    with time_machine.travel(draft.start):
        client.force_login(member)
        assert client.get(check_in_url(draft, checkin_token(draft))).status_code in (400, 404)
