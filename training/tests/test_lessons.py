import datetime
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from branches.tests.factories import VenueFactory
from members.models import Member
from members.tests.factories import MemberFactory
from training.models import AssignmentTarget, Attendance, LeaveRequest, Lesson, LessonHost
from training.services.lessons import invitation_respond, lesson_close, lesson_save
from training.tests.conftest import member_of
from training.tests.factories import LessonFactory, OutsideLecturerFactory

pytestmark = pytest.mark.django_db


def lesson_post(branch, start, **extra):
    data = {
        "organiser": branch.pk,
        "title": "联合党课：交通强国",
        "kind": "party_lesson",
        "format": "lecture",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "grace_minutes": 10,
        "action": "publish",
    }
    data.update(extra)
    return data


def local(dt):
    return timezone.localtime(dt).replace(second=0, microsecond=0)


def test_secretary_creates_a_joint_lesson_with_default_hours(client, secretary, branch_a, branch_b, venue_a):
    lecturer = OutsideLecturerFactory()
    start = local(timezone.now() + datetime.timedelta(days=3))
    client.force_login(secretary)
    data = lesson_post(branch_a, start, venue=venue_a.pk, lecturer_outside=lecturer.pk, co_hosts=[branch_b.pk])
    response = client.post(reverse("training:lesson_create"), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    lesson = Lesson.objects.get(title="联合党课：交通强国")
    assert lesson.status == "published" and str(lesson.credit_hours) == "2.0"
    hosts = dict(LessonHost.objects.filter(lesson=lesson).values_list("branch_id", "status"))
    assert hosts == {branch_a.pk: "accepted", branch_b.pk: "invited"}


def test_changing_credit_hours_needs_a_reason(client, secretary, branch_a):
    start = local(timezone.now() + datetime.timedelta(days=3))
    client.force_login(secretary)
    response = client.post(reverse("training:lesson_create"), lesson_post(branch_a, start, credit_hours="3"))
    assert response.status_code == 400
    assert "credit_hours_reason" in response.context["form"].errors
    assert 'value="联合党课：交通强国"' in response.content.decode()
    response = client.post(
        reverse("training:lesson_create"),
        lesson_post(branch_a, start, credit_hours="3", credit_hours_reason="含课后研讨一小时"),
    )
    assert response.status_code == 302
    assert str(Lesson.objects.get().credit_hours) == "3.0"


def test_double_booked_venue_is_refused_naming_the_other_lesson(client, secretary, branch_a, venue_a):
    start = local(timezone.now() + datetime.timedelta(days=3))
    LessonFactory(
        organiser=branch_a,
        venue=venue_a,
        start=start + datetime.timedelta(hours=1),
        end=start + datetime.timedelta(hours=3),
        title="已有的活动",
    )
    client.force_login(secretary)
    data = lesson_post(branch_a, start, venue=venue_a.pk, confirm_warnings="on")
    response = client.post(reverse("training:lesson_create"), data)
    assert response.status_code == 400
    assert "已有的活动" in str(response.context["form"].errors["venue"])
    assert Lesson.objects.count() == 1


def test_a_venue_clash_is_refused_on_the_first_submit_before_any_warning(client, secretary, member, branch_a, venue_a):
    start = local(timezone.now() + datetime.timedelta(days=3))
    # The same branch at the same time in the same venue: a hard clash, and every member busy (a warning).
    LessonFactory(
        organiser=branch_a, venue=venue_a, start=start, end=start + datetime.timedelta(hours=2), title="已有的活动"
    )
    client.force_login(secretary)
    response = client.post(reverse("training:lesson_create"), lesson_post(branch_a, start, venue=venue_a.pk))
    assert response.status_code == 400
    assert "已有的活动" in str(response.context["form"].errors["venue"])
    assert not response.context.get("warnings")
    assert Lesson.objects.count() == 1


def test_double_booked_lecturer_is_refused(secretary, branch_a, branch_b):
    lecturer = OutsideLecturerFactory()
    start = timezone.now() + datetime.timedelta(days=3)
    LessonFactory(organiser=branch_b, lecturer_outside=lecturer, start=start, end=start + datetime.timedelta(hours=2))
    lesson = Lesson(
        organiser=branch_a,
        title="x",
        kind="seminar",
        start=start + datetime.timedelta(minutes=30),
        end=start + datetime.timedelta(hours=3),
        credit_hours=1,
        lecturer_outside=lecturer,
    )
    with pytest.raises(ValidationError) as exc:
        lesson_save(lesson=lesson, actor=secretary)
    assert "lecturer_outside" in exc.value.error_dict


def test_back_to_back_bookings_are_fine(secretary, branch_a, venue_a):
    start = timezone.now() + datetime.timedelta(days=3)
    LessonFactory(organiser=branch_a, venue=venue_a, start=start, end=start + datetime.timedelta(hours=2))
    lesson = Lesson(
        organiser=branch_a,
        title="next",
        kind="seminar",
        start=start + datetime.timedelta(hours=2),
        end=start + datetime.timedelta(hours=3),
        credit_hours=1,
        venue=venue_a,
    )
    lesson_save(lesson=lesson, actor=secretary)
    assert Lesson.objects.filter(venue=venue_a).count() == 2


def test_cancelled_lesson_frees_the_venue(secretary, branch_a, venue_a):
    start = timezone.now() + datetime.timedelta(days=3)
    LessonFactory(
        organiser=branch_a, venue=venue_a, start=start, end=start + datetime.timedelta(hours=2), status="cancelled"
    )
    lesson = Lesson(
        organiser=branch_a,
        title="x",
        kind="seminar",
        start=start,
        end=start + datetime.timedelta(hours=2),
        credit_hours=1,
        venue=venue_a,
    )
    lesson_save(lesson=lesson, actor=secretary)


def test_warnings_for_busy_audience_and_small_venue_then_save_anyway(client, secretary, member, branch_a):
    small = VenueFactory(owner=branch_a, capacity=1, name="小会议室")
    start = local(timezone.now() + datetime.timedelta(days=3))
    LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=1), title="同时段活动")
    client.force_login(secretary)
    response = client.post(reverse("training:lesson_create"), lesson_post(branch_a, start, venue=small.pk))
    assert response.status_code == 200
    warnings = response.context["warnings"]
    assert warnings.busy_count == Member.objects.filter(branch=branch_a).count()
    assert warnings.too_small is True
    assert Lesson.objects.count() == 1  # nothing saved yet
    assert 'name="confirm_warnings"' in response.content.decode()
    data = lesson_post(branch_a, start, venue=small.pk, confirm_warnings="on")
    assert client.post(reverse("training:lesson_create"), data).status_code == 302
    assert Lesson.objects.count() == 2


def test_invited_secretary_accepts_and_their_members_join(joint_lesson, branch_b, outsider):
    from members.tests.factories import PostFactory, UserFactory

    secretary_b = UserFactory(username="secretary_b")
    PostFactory(member=MemberFactory(user=secretary_b, branch=branch_b), branch=branch_b)
    host = LessonHost.objects.get(lesson=joint_lesson, branch=branch_b)
    assert not Attendance.objects.filter(lesson=joint_lesson, member=member_of(outsider)).exists()
    invitation_respond(host=host, accept=True, reason="", actor=secretary_b)
    assert Attendance.objects.filter(lesson=joint_lesson, member=member_of(outsider)).exists()


def test_declining_needs_a_reason(joint_lesson, branch_b, outsider):
    host = LessonHost.objects.get(lesson=joint_lesson, branch=branch_b)
    with pytest.raises(ValidationError):
        invitation_respond(host=host, accept=False, reason=" ", actor=None)
    invitation_respond(host=host, accept=False, reason="同日有执法任务", actor=None)
    host.refresh_from_db()
    assert host.status == "declined" and host.reason == "同日有执法任务"


def test_only_the_invited_branch_committee_can_answer(client, joint_lesson, secretary, member):
    client.force_login(secretary)  # organiser, not invitee
    url = reverse("training:invitation_respond", args=[joint_lesson.pk])
    assert client.post(url, {"accept": "1"}).status_code == 404


def test_member_gets_404_for_a_lesson_not_meant_for_them(client, outsider, lesson_a):
    client.force_login(outsider)
    assert client.get(lesson_a.get_absolute_url()).status_code == 404


def test_draft_is_hidden_from_members(client, member, branch_a):
    draft = LessonFactory(organiser=branch_a, status="draft")
    client.force_login(member)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_member_cannot_run_a_lesson(client, member, lesson_a):
    client.force_login(member)
    assert client.get(reverse("training:attendance", args=[lesson_a.pk])).status_code == 403
    assert client.post(reverse("training:lesson_close", args=[lesson_a.pk])).status_code == 403


def test_leave_approved_then_close_gives_make_up_tasks(client, secretary, member, lesson_a):
    client.force_login(member)
    response = client.post(reverse("training:leave_request", args=[lesson_a.pk]), {"reason": "出差"})
    assert response.status_code == 302
    leave = LeaveRequest.objects.get(lesson=lesson_a)
    client.force_login(secretary)
    client.post(reverse("training:leave_decide", args=[leave.pk]), {"approve": "1"})
    assert Attendance.objects.get(lesson=lesson_a, member=member_of(member)).status == "leave"
    Lesson.objects.filter(pk=lesson_a.pk).update(start=timezone.now() - datetime.timedelta(hours=1))
    lesson_a.refresh_from_db()
    result = lesson_close(lesson=lesson_a, actor=secretary)
    statuses = dict(Attendance.objects.filter(lesson=lesson_a).values_list("member__user__username", "status"))
    assert statuses == {"member": "leave", "secretary": "absent"}
    assert result == {"absent": 1, "make_up": 2}
    targets = AssignmentTarget.objects.filter(assignment__lesson=lesson_a, assignment__kind="make_up")
    assert sorted(targets.values_list("reason", flat=True)) == ["absent", "leave"]
    assert targets.first().assignment.due_on > timezone.localdate()
    with pytest.raises(ValidationError):
        lesson_close(lesson=lesson_a, actor=secretary)


def test_leave_after_the_start_is_refused(client, member, lesson_a):
    Lesson.objects.filter(pk=lesson_a.pk).update(start=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(member)
    client.post(reverse("training:leave_request", args=[lesson_a.pk]), {"reason": "出差"})
    assert not LeaveRequest.objects.exists()


def test_outsider_secretary_cannot_decide_leave(client, member, lesson_a, branch_b):
    from members.tests.factories import PostFactory, UserFactory

    leave = LeaveRequest.objects.create(lesson=lesson_a, member=member_of(member), reason="病假")
    secretary_b = UserFactory(username="secretary_b")
    PostFactory(member=MemberFactory(user=secretary_b, branch=branch_b), branch=branch_b)
    client.force_login(secretary_b)
    assert client.post(reverse("training:leave_decide", args=[leave.pk]), {"approve": "1"}).status_code == 404
    leave.refresh_from_db()
    assert leave.status == "pending"


def test_feedback_only_from_attendees_and_questions_answered(client, secretary, member, lesson_a):
    client.force_login(member)
    url = reverse("training:feedback", args=[lesson_a.pk])
    client.post(url, {"rating": "5", "comment": "很好"})
    assert not lesson_a.feedback.exists()
    Attendance.objects.filter(lesson=lesson_a, member=member_of(member)).update(status="present")
    client.post(url, {"rating": "4", "comment": "结合工作实际", "anonymous": "on"})
    client.post(url, {"rating": "5", "comment": "改一下"})
    assert list(lesson_a.feedback.values_list("rating", "is_anonymous")) == [(5, False)]
    client.post(reverse("training:question_ask", args=[lesson_a.pk]), {"text": "如何落实？", "anonymous": "on"})
    question = lesson_a.questions.get()
    client.force_login(secretary)
    client.post(reverse("training:question_answer", args=[question.pk]), {"answer": "下次研讨会细化。"})
    question.refresh_from_db()
    assert question.answer == "下次研讨会细化。" and question.answered_by == secretary
    html = client.get(lesson_a.get_absolute_url()).content.decode()
    assert "如何落实？" in html and "张三" not in html.split("如何落实")[0].rsplit("<li", 1)[-1]


def test_materials_limits_and_download(client, secretary, member, outsider, lesson_a, settings):
    client.force_login(secretary)
    url = reverse("training:material_add", args=[lesson_a.pk])
    client.post(url, {"title": "病毒", "file": SimpleUploadedFile("x.exe", b"MZ")})
    assert not lesson_a.materials.exists()
    client.post(url, {"title": "讲稿", "file": SimpleUploadedFile("讲稿.pdf", b"%PDF-1.4 test")})
    client.post(url, {"title": "视频", "url": "https://example.org/v"})
    assert lesson_a.materials.count() == 2
    material = lesson_a.materials.get(title="讲稿")
    client.force_login(member)
    response = client.get(reverse("training:material_download", args=[material.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"
    client.force_login(outsider)
    assert client.get(reverse("training:material_download", args=[material.pk])).status_code == 404


def test_material_size_limit(secretary, lesson_a, monkeypatch):
    from training.services import lessons as services

    monkeypatch.setattr(services, "MATERIAL_MAX_BYTES", 10)
    with pytest.raises(ValidationError) as exc:
        services.material_add(
            lesson=lesson_a, title="大文件", upload=SimpleUploadedFile("a.pdf", b"x" * 11), actor=secretary
        )
    assert exc.value.error_dict["file"][0].code == "file_size"


def test_sign_in_sheet_pdf_lists_the_audience_in_chinese(client, secretary, lesson_a, tmp_path):
    client.force_login(secretary)
    response = client.get(reverse("training:sign_in_sheet", args=[lesson_a.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "张三" in text and "书记甲" in text and "党课：学习党章" in text


def test_cancel_bumps_sequence(client, secretary, lesson_a):
    before = lesson_a.sequence
    client.force_login(secretary)
    asked = client.post(reverse("training:lesson_cancel", args=[lesson_a.pk]))
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.content.decode()
    lesson_a.refresh_from_db()
    assert lesson_a.status == "published"  # nothing happens before the answer
    client.post(reverse("training:lesson_cancel", args=[lesson_a.pk]), {"confirm": "yes"})
    lesson_a.refresh_from_db()
    assert lesson_a.status == "cancelled" and lesson_a.sequence == before + 1


def test_committee_meeting_audience_is_the_committee(secretary, member, branch_a):
    from training.services.lessons import audience_sync

    meeting = LessonFactory(organiser=branch_a, kind="committee_meeting")
    audience_sync(lesson=meeting)
    assert list(meeting.attendances.values_list("member__user__username", flat=True)) == ["secretary"]


def test_organiser_sees_comments_and_anonymity_is_kept(client, secretary, member, lesson_a):
    Attendance.objects.filter(lesson=lesson_a, member=member_of(member)).update(status="present")
    client.force_login(member)
    client.post(
        reverse("training:feedback", args=[lesson_a.pk]), {"rating": "4", "comment": "希望多些案例", "anonymous": "on"}
    )
    client.force_login(secretary)
    html = client.get(lesson_a.get_absolute_url()).content.decode()
    comments = html.split('id="feedback-comments"')[1].split("</ul>")[0]
    assert "希望多些案例" in comments and "张三" not in comments and "★★★★" in comments
    client.force_login(member)
    assert 'id="feedback-comments"' not in client.get(lesson_a.get_absolute_url()).content.decode()


def test_closing_asks_first_and_says_who_will_be_absent_and_owe_make_up(client, secretary, member, branch_a):
    from training.services.lessons import audience_sync

    start = timezone.now() - datetime.timedelta(hours=1)
    lesson = LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=2), title="党课")
    audience_sync(lesson=lesson)
    audience = Attendance.objects.filter(lesson=lesson).count()
    client.force_login(secretary)
    asked = client.post(reverse("training:lesson_close", args=[lesson.pk]))
    assert asked.status_code == 200
    page = asked.content.decode()
    preview = asked.context["preview"]
    assert len(preview.to_be_absent) == audience and preview.make_up == audience
    assert preview.make_up_due_on == timezone.localdate() + datetime.timedelta(days=30)
    assert "张三" in page and preview.make_up_due_on.isoformat() in page
    lesson.refresh_from_db()
    assert lesson.status == "published" and not Attendance.objects.filter(lesson=lesson, status="absent").exists()
    done = client.post(reverse("training:lesson_close", args=[lesson.pk]), {"confirm": "yes"})
    assert done.status_code == 302
    lesson.refresh_from_db()
    assert lesson.status == "held"
    assert Attendance.objects.filter(lesson=lesson, status="absent").count() == audience
