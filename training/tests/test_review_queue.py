"""The review queue: study dates, filters by member, kind and assignment, scoped to the reviewer's branch."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.tests.factories import MemberFactory
from training.models import Assignment, StudyNote
from training.tests.conftest import member_of

pytestmark = pytest.mark.django_db
URL = reverse("selfstudy:review_queue")


def submitted(member, *, title, kind="note", assignment=None, day=datetime.date(2026, 5, 4)):
    return StudyNote.objects.create(
        member=member,
        title=title,
        kind=kind,
        body="学习体会正文",
        study_date=day,
        hours=1,
        status="submitted",
        submitted_at=timezone.now(),
        assignment=assignment,
    )


@pytest.fixture
def queue(branch_a, branch_b, secretary, member, outsider):
    other = MemberFactory(branch=branch_a, full_name="张晓东")
    assignment = Assignment.objects.create(
        title="学习新修订的纪律处分条例", branch=branch_a, due_on=datetime.date(2026, 6, 30), min_hours=1
    )
    return {
        "mine": submitted(member_of(member), title="党章笔记", day=datetime.date(2026, 5, 4)),
        "reflection": submitted(other, title="心得一", kind="reflection", assignment=assignment),
        "assignment": assignment,
        "other": other,
        "outside": submitted(member_of(outsider), title="外支部笔记"),
    }


def titles(response):
    return [note.title for note in response.context["page"]]


def test_queue_shows_each_notes_study_date(client, secretary, queue):
    client.force_login(secretary)
    html = client.get(URL).content.decode()
    assert "2026-05-04" in html and html.count('class="note-study-date"') == 2
    assert "外支部笔记" not in html


def test_filters_by_member_kind_and_assignment(client, secretary, queue):
    client.force_login(secretary)
    assert titles(client.get(URL, {"member": queue["other"].pk})) == ["心得一"]
    assert titles(client.get(URL, {"kind": "note"})) == ["党章笔记"]
    assert titles(client.get(URL, {"kind": "reflection"})) == ["心得一"]
    assert titles(client.get(URL, {"assignment": queue["assignment"].pk})) == ["心得一"]


def test_filter_choices_hold_only_the_own_branch(client, secretary, queue, outsider):
    client.force_login(secretary)
    form = client.get(URL).context["filters"].form
    members = {m.pk for m in form.fields["member"].queryset}
    assert queue["other"].pk in members and member_of(outsider).pk not in members


def test_another_branchs_member_id_is_ignored_with_a_message_and_reveals_nothing(client, secretary, queue, outsider):
    client.force_login(secretary)
    stranger = member_of(outsider)
    response = client.get(URL, {"member": stranger.pk, "kind": "reflection"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "筛选条件与本支部的笔记不符" in html or "was ignored" in html
    assert stranger.full_name not in html and "外支部笔记" not in html
    assert titles(response) == ["心得一"]  # the valid filter still applies


def test_plain_member_gets_403(client, member, queue):
    client.force_login(member)
    assert client.get(URL).status_code == 403


def test_query_count_does_not_grow_with_the_queue(client, secretary, queue, branch_a):
    client.force_login(secretary)
    client.get(URL)

    def count(params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, params).status_code == 200
        return len(ctx.captured_queries)

    before = count({"kind": "reflection"})
    for i in range(6):
        submitted(
            MemberFactory(branch=branch_a), title=f"心得{i + 2}", kind="reflection", assignment=queue["assignment"]
        )
    assert count({"kind": "reflection"}) == before
    assert count({}) == before
