import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.tests.factories import MemberFactory
from training.markdown import render_markdown
from training.models import Assignment, AssignmentTarget, StudyNote, StudyNoteVersion
from training.services.study import assignment_create, note_review, note_save, note_submit
from training.tests.conftest import member_of

pytestmark = pytest.mark.django_db

TEXT = (
    "学习《中国共产党章程》后的体会：党章是党的根本大法，是全党必须共同遵守的根本行为规范。"
    "作为交通运输系统的党员，要把党章要求落实到公路养护、运输管理的具体工作中，做到学思用贯通。"
)


def note_data(**overrides):
    data = {
        "kind": "reflection",
        "title": "学习党章的体会",
        "body": TEXT,
        "study_date": timezone.localdate(),
        "hours": Decimal("2"),
        "lesson": None,
        "assignment": None,
        "resource": None,
    }
    data.update(overrides)
    return data


def write(member_user, **overrides):
    member = member_of(member_user)
    return note_save(note=None, member=member, data=note_data(**overrides), actor=member_user)


def test_sanitiser_strips_scripts_and_event_handlers():
    html = render_markdown(
        "**好**<script>alert(1)</script><img src=x onerror=alert(2)>"
        '<a href="javascript:alert(3)" onclick="x()">链接</a>[ok](https://example.org)'
    )
    assert "<strong>好</strong>" in html
    assert "<script" not in html and "onerror" not in html and "onclick" not in html
    assert "javascript:" not in html and "<img" not in html
    assert 'href="https://example.org"' in html


def test_submit_keeps_a_version_and_passed_notes_are_locked(member, secretary):
    note = write(member)
    note_submit(note=note, actor=member)
    note.refresh_from_db()
    assert note.status == "submitted" and note.versions.count() == 1
    note_review(note=note, passed=False, grade="", comment="请结合本职工作谈体会", actor=secretary)
    note.refresh_from_db()
    assert note.status == "returned"
    note_save(note=note, member=note.member, data={"body": TEXT + "我在养护工地带头落实。"}, actor=member)
    note_submit(note=note, actor=member)
    note_review(note=note, passed=True, grade="good", comment="有进步", actor=secretary)
    note.refresh_from_db()
    assert (note.status, note.grade) == ("passed", "good")
    versions = list(StudyNoteVersion.objects.filter(note=note).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].review_comment == "请结合本职工作谈体会" and versions[1].body.endswith("带头落实。")
    with pytest.raises(ValidationError):
        note_save(note=note, member=note.member, data={"title": "改"}, actor=member)


def test_returning_needs_a_comment_and_passing_a_grade(member, secretary):
    note = write(member)
    note_submit(note=note, actor=member)
    with pytest.raises(ValidationError):
        note_review(note=note, passed=False, grade="", comment=" ", actor=secretary)
    with pytest.raises(ValidationError):
        note_review(note=note, passed=True, grade="", comment="", actor=secretary)


def test_hours_per_note_are_capped(member):
    note = write(member, hours=Decimal("5"))
    with pytest.raises(ValidationError) as exc:
        note_submit(note=note, actor=member)
    assert exc.value.error_dict["hours"][0].code == "note_cap"
    note.refresh_from_db()
    assert note.status == "draft"


def test_hours_per_day_are_capped(member):
    day = timezone.localdate()
    for i in range(2):
        n = write(member, hours=Decimal("4"), title=f"第{i}篇", body=f"{TEXT}{i}不同的内容{i * 7}")
        note_submit(note=n, actor=member)
    third = write(
        member, hours=Decimal("1"), title="第三篇", body="完全不同的一段学习内容，关于安全生产责任制落实情况的思考。"
    )
    with pytest.raises(ValidationError) as exc:
        note_submit(note=third, actor=member)
    assert exc.value.error_dict["hours"][0].code == "daily_cap"
    other_day = note_save(
        note=third, member=third.member, data={"study_date": day - datetime.timedelta(days=1)}, actor=member
    )
    note_submit(note=other_day, actor=member)


def test_copied_note_is_flagged_with_the_match(member, outsider):
    original = write(outsider)
    note_submit(note=original, actor=outsider)
    copied = write(member, body=TEXT.replace("体会", "感想") + "。")
    note_submit(note=copied, actor=member)
    copied.refresh_from_db()
    assert copied.similar_to_id == original.pk and copied.similarity >= 70
    fresh = write(
        member,
        title="另一篇",
        body="本月重点学习了安全生产法修订内容，结合路政执法实践，梳理了三项风险点和整改措施。",
        study_date=timezone.localdate() - datetime.timedelta(days=3),
    )
    note_submit(note=fresh, actor=member)
    fresh.refresh_from_db()
    assert fresh.similar_to_id is None


def test_own_earlier_note_counts_as_a_copy(member):
    first = write(member, study_date=timezone.localdate() - datetime.timedelta(days=10))
    note_submit(note=first, actor=member)
    again = write(member, title="新标题")
    note_submit(note=again, actor=member)
    again.refresh_from_db()
    assert again.similar_to_id == first.pk and again.similarity == 100


def test_passing_a_note_on_an_assignment_completes_it(member, secretary, branch_a):
    assignment = assignment_create(
        data={
            "title": "学习二十大报告",
            "due_on": timezone.localdate() + datetime.timedelta(days=7),
            "min_hours": Decimal("2"),
        },
        branch=branch_a,
        branch_ids=[branch_a.pk],
        member_ids=[],
        actor=secretary,
    )
    assert assignment.targets.count() == 2  # secretary and member of branch A
    note = write(member, assignment=assignment)
    note_submit(note=note, actor=member)
    target = AssignmentTarget.objects.get(assignment=assignment, member=member_of(member))
    assert target.status == "open"
    note_review(note=note, passed=True, grade="excellent", comment="", actor=secretary)
    target.refresh_from_db()
    assert target.status == "done" and target.completed_at is not None


def test_note_on_someone_elses_assignment_is_refused(member, outsider, branch_b, secretary):
    assignment = Assignment.objects.create(title="B支部任务", due_on=timezone.localdate(), branch=branch_b)
    AssignmentTarget.objects.create(assignment=assignment, member=member_of(outsider))
    with pytest.raises(ValidationError):
        write(member, assignment=assignment)


def test_member_cannot_read_another_members_note(client, member, outsider, secretary):
    note = write(outsider)
    for user in (member, secretary):  # another member; a secretary of another branch
        client.force_login(user)
        assert client.get(note.get_absolute_url()).status_code == 404


def test_same_branch_member_cannot_read_a_note_either(client, member, secretary):
    note = write(secretary)
    client.force_login(member)
    assert client.get(note.get_absolute_url()).status_code == 404


def test_secretary_cannot_review_another_branchs_note(client, secretary, outsider):
    note = write(outsider)
    note_submit(note=note, actor=outsider)
    client.force_login(secretary)
    response = client.post(reverse("selfstudy:note_review", args=[note.pk]), {"decision": "pass", "grade": "good"})
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.status == "submitted"


def test_review_queue_lists_only_own_branch_and_query_count_is_flat(client, secretary, member, outsider, branch_a):
    note_submit(note=write(outsider), actor=outsider)
    client.force_login(secretary)
    url = reverse("selfstudy:review_queue")

    def add_notes(n):
        for i in range(n):
            m = MemberFactory(branch=branch_a)
            note = StudyNote.objects.create(
                member=m,
                title=f"笔记{i}",
                body=f"内容{i}",
                study_date=timezone.localdate(),
                hours=1,
                status="submitted",
                submitted_at=timezone.now(),
            )
            StudyNoteVersion.objects.create(
                note=note,
                number=1,
                title=note.title,
                body=note.body,
                hours=1,
                study_date=note.study_date,
                submitted_at=note.submitted_at,
            )

    add_notes(3)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.context["page"].paginator.count == 3
    add_notes(30)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.context["page"].paginator.count == 33
    assert len(large.captured_queries) == len(small.captured_queries)


def test_note_form_redisplays_on_error_and_keeps_the_text(client, member):
    client.force_login(member)
    response = client.post(
        reverse("selfstudy:note_create"),
        {
            "kind": "note",
            "title": "",
            "body": "我写了很多字，不能丢。",
            "study_date": "2026-02-30",
            "hours": "1",
            "action": "submit",
        },
    )
    assert response.status_code == 400
    assert "我写了很多字，不能丢。" in response.content.decode()
    assert set(response.context["form"].errors) >= {"title", "study_date"}
    assert not StudyNote.objects.exists()


def test_note_pages_carry_no_inline_script(client, member):
    client.force_login(member)
    note = write(member, body="<script>alert(1)</script>正文")
    html = client.get(note.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html and "正文" in html


def test_a_note_refused_on_submit_saves_nothing_and_the_corrected_one_is_the_only_note(client, member):
    client.force_login(member)
    data = {
        "kind": "note",
        "title": "学习党章体会",
        "body": "结合本职工作谈学习党章的体会。" * 5,
        "study_date": timezone.localdate().isoformat(),
        "hours": "5",  # over the cap for one note: refused on submit
        "action": "submit",
    }
    response = client.post(reverse("selfstudy:note_create"), data)
    assert response.status_code == 400
    assert "hours" in response.context["form"].errors
    assert not StudyNote.objects.exists()  # no draft left behind
    response = client.post(reverse("selfstudy:note_create"), {**data, "hours": "2"})
    assert response.status_code == 302
    assert StudyNote.objects.count() == 1 and StudyNote.objects.get().status == "submitted"


def test_a_study_date_in_the_future_is_refused(client, member):
    client.force_login(member)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(
        reverse("selfstudy:note_create"),
        {"kind": "note", "title": "预写", "body": "明天的学习。", "study_date": tomorrow.isoformat(), "hours": "1"},
    )
    assert response.status_code == 400
    assert "study_date" in response.context["form"].errors
    assert not StudyNote.objects.exists()
