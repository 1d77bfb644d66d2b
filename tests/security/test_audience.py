"""Attack: a plain member reads a committee meeting (支委会) or another Party cell's meeting (党小组会)."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from members.models import Member, Notification
from members.tests.factories import MemberFactory, UserFactory
from training.models import Lesson, LessonMaterial
from training.services.lessons import audience_sync, calendar_feed_for, checkin_token, lesson_audience
from training.services.reminders import lesson_reminders_send
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db
SECRET = "绝密议程"


@pytest.fixture
def meetings(branch_a, secretary, member):
    Member.objects.filter(user=member).update(party_group="第一党小组")
    start = timezone.now() + datetime.timedelta(minutes=10)
    committee = LessonFactory(
        organiser=branch_a,
        kind=Lesson.Kind.COMMITTEE_MEETING,
        title="支委会：人事安排",
        agenda=SECRET + "一",
        decisions=SECRET + "二",
        start=start,
    )
    other_cell = LessonFactory(
        organiser=branch_a,
        kind=Lesson.Kind.GROUP_MEETING,
        party_group="第二党小组",
        title="第二党小组会",
        agenda=SECRET + "三",
        start=start,
    )
    own_cell = LessonFactory(
        organiser=branch_a, kind=Lesson.Kind.GROUP_MEETING, party_group="第一党小组", title="第一党小组会", start=start
    )
    branch_wide = LessonFactory(organiser=branch_a, title="全体党员大会", start=start)
    for lesson in (committee, other_cell, own_cell, branch_wide):
        audience_sync(lesson=lesson)
    material = LessonMaterial(lesson=committee, title="会议材料")
    material.file.save("minutes.pdf", ContentFile(b"%PDF-1.4 minutes"), save=True)
    return {
        "committee": committee,
        "other_cell": other_cell,
        "own_cell": own_cell,
        "wide": branch_wide,
        "material": material,
    }


def _pages(client, member_row):
    """Every list-like surface a member reaches, as one text."""
    feed = calendar_feed_for(member_row)
    urls = [
        reverse("home"),
        reverse("training:lesson_list"),
        reverse("calendar:calendar_view"),
        reverse("calendar:calendar_view") + "?scope=branch",
        reverse("calendar:calendar_view") + "?scope=mine&view=week",
        reverse("calendar:feed_ics", args=[feed.token]),
        reverse("selfstudy:note_create"),
        reverse("progress:my_progress"),
    ]
    return "".join(client.get(url).content.decode() for url in urls)


def test_plain_member_sees_neither_the_committee_nor_another_cells_meeting(client, member, meetings):
    client.force_login(member)
    me = Member.objects.get(user=member)
    text = _pages(client, me)
    assert "全体党员大会" in text and "第一党小组会" in text  # the test can see what it should
    assert "支委会：人事安排" not in text and "第二党小组会" not in text and SECRET not in text
    for key in ("committee", "other_cell"):
        lesson = meetings[key]
        assert client.get(reverse("training:lesson_detail", args=[lesson.pk])).status_code == 404
        token = checkin_token(lesson)
        assert client.get(reverse("training:check_in", args=[lesson.pk, token])).status_code == 404
        for name in ("feedback", "question_ask", "leave_request"):
            assert (
                client.post(reverse(f"training:{name}", args=[lesson.pk]), {"text": "x", "reason": "x"}).status_code
                == 404
            )
    assert client.get(reverse("training:material_download", args=[meetings["material"].pk])).status_code == 404
    assert client.get(reverse("training:lesson_detail", args=[meetings["own_cell"].pk])).status_code == 200


def test_committee_member_sees_the_committee_meeting_and_its_minutes(client, secretary, meetings):
    client.force_login(secretary)
    html = client.get(reverse("training:lesson_detail", args=[meetings["committee"].pk])).content.decode()
    assert SECRET + "一" in html
    assert client.get(reverse("training:material_download", args=[meetings["material"].pk])).status_code == 200


def test_members_of_the_other_cell_see_their_meeting(client, branch_a, meetings):
    user = UserFactory(username="cell2")
    MemberFactory(user=user, branch=branch_a, party_group="第二党小组")
    client.force_login(user)
    assert client.get(reverse("training:lesson_detail", args=[meetings["other_cell"].pk])).status_code == 200
    assert client.get(reverse("training:lesson_detail", args=[meetings["committee"].pk])).status_code == 404


def test_reminders_reach_only_the_audience(member, secretary, meetings):
    lesson_reminders_send()

    def reminded(user):
        return set(Notification.objects.filter(recipient__user=user).values_list("url", flat=True))

    committee_url = meetings["committee"].get_absolute_url()
    assert committee_url not in reminded(member)
    assert meetings["other_cell"].get_absolute_url() not in reminded(member)
    assert meetings["wide"].get_absolute_url() in reminded(member)
    assert committee_url in reminded(secretary)


def test_one_rule_from_both_sides(branch_a, secretary, member, meetings):
    """for_member (pages) and lesson_audience (attendance, reminders) agree for every member and kind."""
    MemberFactory(branch=branch_a, party_group="第二党小组")
    MemberFactory(branch=branch_a, party_group="")
    fresh = [
        LessonFactory(organiser=branch_a, kind=kind, party_group=group)
        for kind, group in (
            (Lesson.Kind.COMMITTEE_MEETING, ""),
            (Lesson.Kind.GROUP_MEETING, "第一党小组"),
            (Lesson.Kind.GROUP_MEETING, "第二党小组"),
            (Lesson.Kind.GROUP_MEETING, ""),
            (Lesson.Kind.PARTY_LESSON, ""),
        )
    ]
    for lesson in fresh:  # no attendance rows yet: the rule alone decides
        audience = set(lesson_audience(lesson).values_list("pk", flat=True))
        for person in Member.objects.filter(branch=branch_a):
            assert Lesson.objects.for_member(person).filter(pk=lesson.pk).exists() == (person.pk in audience), (
                lesson.kind,
                lesson.party_group,
                person.party_group,
            )


def test_group_meeting_form_needs_the_cell(client, secretary, branch_a):
    client.force_login(secretary)
    start = timezone.localtime() + datetime.timedelta(days=3)
    data = {
        "organiser": branch_a.pk,
        "title": "党小组会",
        "kind": "group_meeting",
        "format": "seminar",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "outside_place": "会议室",
        "grace_minutes": 10,
    }
    response = client.post(reverse("training:lesson_create"), data)
    assert response.status_code == 400 or "党小组" in response.content.decode()
    assert not Lesson.objects.filter(title="党小组会").exists()


def test_plan_page_lists_held_committee_meetings_only_to_the_committee(client, member, secretary, branch_a):
    held = timezone.now() - datetime.timedelta(hours=3)
    LessonFactory(
        organiser=branch_a, kind=Lesson.Kind.COMMITTEE_MEETING, title="支委会：已召开", status="held", start=held
    )
    LessonFactory(organiser=branch_a, title="集中学习：已举行", status="held", start=held)
    url = reverse("plans:plan_detail", args=[branch_a.pk, timezone.localdate(held).year])
    client.force_login(member)
    html = client.get(url).content.decode()
    assert "集中学习：已举行" in html and "支委会：已召开" not in html
    client.force_login(secretary)
    assert "支委会：已召开" in client.get(url).content.decode()
