"""Walk every URL pattern of the project as every persona.

A new view without an entry here fails the build: decide who may open it.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from members.models import Member, Notification

ANON, MEMBER, SECRETARY, OUTSIDER, LEADER, ADMIN = "anonymous", "member", "secretary", "outsider", "leader", "admin"
# A 党总支 secretary beside branch A's parent tree, and a second bureau's scoped leadership:
# neither may reach branch A's objects.
GB_SECRETARY, LEADER2 = "gb_secretary", "bureau2_leader"
PERSONAS = (ANON, MEMBER, SECRETARY, OUTSIDER, LEADER, ADMIN, GB_SECRETARY, LEADER2)


def everyone(status, anonymous=302):
    return {ANON: anonymous, **{p: status for p in PERSONAS[1:]}}


MANAGERS_ONLY = {ANON: 302, MEMBER: 403, SECRETARY: 200, OUTSIDER: 403, LEADER: 200, ADMIN: 200}
BRANCH_A_WRITE = {ANON: 302, MEMBER: 403, SECRETARY: 200, OUTSIDER: 404, LEADER: 200, ADMIN: 200}
BRANCH_A_READ = {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 404, LEADER: 200, ADMIN: 200}
# Running a lesson is for the organising branch's committee only.
LESSON_A_RUN = {ANON: 302, MEMBER: 403, SECRETARY: 200, OUTSIDER: 404, LEADER: 403, ADMIN: 403}
COMMITTEE_ONLY = {ANON: 302, MEMBER: 403, SECRETARY: 200, OUTSIDER: 403, LEADER: 403, ADMIN: 403}
POST_ONLY = everyone(405)
LEADERSHIP_ONLY = {ANON: 302, MEMBER: 403, SECRETARY: 403, OUTSIDER: 403, LEADER: 200, ADMIN: 200}

# GET status for each named URL, by persona; objects belong to branch A.
EXPECTED = {
    "home": everyone(200),
    "healthz": everyone(200, anonymous=200),
    # The operators' status page: staff only.
    "status": {ANON: 302, MEMBER: 403, SECRETARY: 403, OUTSIDER: 403, LEADER: 403, ADMIN: 200},
    "login": everyone(302, anonymous=200),
    "logout": everyone(405),
    "password_change": everyone(200),
    "password_change_done": everyone(200),
    "set_language": everyone(302, anonymous=302),
    "branches:branch_list": everyone(200),
    "branches:branch_detail": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 404, LEADER: 200, ADMIN: 200},
    "members:member_list": MANAGERS_ONLY,
    "members:member_export": MANAGERS_ONLY,
    "members:roster_import": MANAGERS_ONLY,
    "members:roster_template": MANAGERS_ONLY,
    "members:roster_import_confirm": everyone(405),
    # The member persona opens their own record.
    "members:member_detail": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 404, LEADER: 200, ADMIN: 200},
    "members:member_edit": BRANCH_A_WRITE,
    "members:member_transfer": BRANCH_A_WRITE,
    # The access log of full numbers: the identity permission and administrators.
    "members:access_log": {ANON: 302, MEMBER: 403, SECRETARY: 403, OUTSIDER: 403, LEADER: 403, ADMIN: 200},
    # Locked logins and their unlock button: administrators only.
    "members:lockout_list": {ANON: 302, MEMBER: 403, SECRETARY: 403, OUTSIDER: 403, LEADER: 403, ADMIN: 200},
    "members:lockout_unlock": POST_ONLY,
    # Lessons: lesson_a belongs to branch A; member and secretary are its audience.
    "training:lesson_list": everyone(200),
    "training:lesson_create": COMMITTEE_ONLY,
    "training:lesson_detail": BRANCH_A_READ,
    "training:lesson_edit": LESSON_A_RUN,
    "training:lesson_publish": POST_ONLY,
    "training:lesson_cancel": POST_ONLY,
    "training:lesson_close": POST_ONLY,
    "training:invitation_respond": POST_ONLY,
    "training:attendance": LESSON_A_RUN,
    "training:projector": LESSON_A_RUN,
    "training:projector_code": LESSON_A_RUN,
    "training:projector_list": LESSON_A_RUN,
    "training:sign_in_sheet": LESSON_A_RUN,
    # The code is genuine, but check-in opens only 30 minutes before the start.
    "training:check_in": {ANON: 302, MEMBER: 400, SECRETARY: 400, OUTSIDER: 404, LEADER: 404, ADMIN: 404},
    "training:check_in_resume": everyone(404),
    "training:leave_request": POST_ONLY,
    "training:leave_decide": POST_ONLY,
    "training:feedback": POST_ONLY,
    "training:question_ask": POST_ONLY,
    "training:question_answer": POST_ONLY,
    "training:material_add": POST_ONLY,
    "training:material_download": BRANCH_A_READ,
    # The live session: the organising committee presents; the audience opens the phone view.
    "training:live_phone": BRANCH_A_READ,
    "training:live_phone_items": BRANCH_A_READ,
    "training:live_phone_wall": BRANCH_A_READ,
    "training:wall_post": POST_ONLY,
    "training:live_answer": POST_ONLY,
    "training:wall_upvote": POST_ONLY,
    "training:live_control": LESSON_A_RUN,
    "training:live_item_add": POST_ONLY,
    "training:live_bank_add": POST_ONLY,
    "training:live_pass_mark": POST_ONLY,
    "training:live_item_action": POST_ONLY,
    "training:wall_moderate": POST_ONLY,
    "training:live_presenter": LESSON_A_RUN,
    "training:live_presenter_state": LESSON_A_RUN,
    "training:live_summary_pdf": LESSON_A_RUN,
    "training:lecturer_search": {ANON: 302, MEMBER: 403, SECRETARY: 200, OUTSIDER: 403, LEADER: 200, ADMIN: 200},
    "calendar:calendar_view": everyone(200),
    "calendar:feed_page": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 200, LEADER: 404, ADMIN: 404},
    "calendar:feed_reset": POST_ONLY,
    # The member's private feed: the secret token is the credential.
    "calendar:feed_ics": everyone(200, anonymous=200),
    "progress:my_progress": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 200, LEADER: 404, ADMIN: 404},
    "progress:branch_progress": BRANCH_A_WRITE,
    # Self-study: the member persona writes a note; members may recommend resources.
    "selfstudy:note_list": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 200, LEADER: 404, ADMIN: 404},
    "selfstudy:note_create": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 200, LEADER: 404, ADMIN: 404},
    "selfstudy:note_detail": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 404, LEADER: 200, ADMIN: 200},
    "selfstudy:note_edit": {ANON: 302, MEMBER: 200, SECRETARY: 403, OUTSIDER: 404, LEADER: 403, ADMIN: 403},
    "selfstudy:note_submit": POST_ONLY,
    "selfstudy:note_review": POST_ONLY,
    "selfstudy:review_queue": COMMITTEE_ONLY,
    "selfstudy:resource_list": everyone(200),
    "selfstudy:resource_create": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 200, LEADER: 200, ADMIN: 200},
    "selfstudy:resource_detail": everyone(200),
    "selfstudy:assignment_list": everyone(200),
    "selfstudy:assignment_create": MANAGERS_ONLY,
    "selfstudy:assignment_detail": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 404, LEADER: 200, ADMIN: 200},
    "online:hours_import": MANAGERS_ONLY,
    "online:hours_import_confirm": POST_ONLY,
    "online:record_list": MANAGERS_ONLY,
    "awards:star_list": everyone(200),
    "awards:star_award": POST_ONLY,
    "awards:star_award_withdraw": POST_ONLY,
    "awards:rating_list": everyone(200),
    "awards:rating_detail": BRANCH_A_WRITE,
    "awards:config": LEADERSHIP_ONLY,
    # Year-end results: the dashboard sends others to their branch's page or their own result.
    "assessments:dashboard": {ANON: 302, MEMBER: 302, SECRETARY: 302, OUTSIDER: 302, LEADER: 200, ADMIN: 200},
    "assessments:export": {ANON: 302, MEMBER: 403, SECRETARY: 403, OUTSIDER: 403, LEADER: 200, ADMIN: 200},
    "assessments:recompute": POST_ONLY,
    "assessments:scheme": LEADERSHIP_ONLY,
    "assessments:branch_dashboard": BRANCH_A_WRITE,
    "assessments:verdicts": BRANCH_A_WRITE,
    "assessments:confirm": POST_ONLY,
    "assessments:reopen": POST_ONLY,
    "assessments:history": LEADERSHIP_ONLY,
    "assessments:member_result": BRANCH_A_READ,
    "assessments:self_summary": POST_ONLY,
    "supervision:visit_list": MANAGERS_ONLY,
    "supervision:visit_create": LEADERSHIP_ONLY,
    "supervision:visit_detail": BRANCH_A_WRITE,
    "supervision:item_update": POST_ONLY,
    "supervision:evidence_add": POST_ONLY,
    "supervision:evidence_download": BRANCH_A_WRITE,
    "inbox:inbox": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 200, LEADER: 404, ADMIN: 404},
    "inbox:mark_read": POST_ONLY,
    # Opening the member's own notification redirects to its link.
    "inbox:open": {ANON: 302, MEMBER: 302, SECRETARY: 404, OUTSIDER: 404, LEADER: 404, ADMIN: 404},
    "inbox:preferences": {ANON: 302, MEMBER: 200, SECRETARY: 200, OUTSIDER: 200, LEADER: 404, ADMIN: 404},
    "reports:report_list": MANAGERS_ONLY,
    "reports:report_new": LEADERSHIP_ONLY,
    # report_id: a done report of branch A; the status poll answers 286 (stop polling) once done.
    "reports:report_detail": BRANCH_A_WRITE,
    "reports:report_retry": POST_ONLY,
    "reports:report_status": {ANON: 302, MEMBER: 403, SECRETARY: 286, OUTSIDER: 404, LEADER: 286, ADMIN: 286},
    "reports:report_pdf": BRANCH_A_WRITE,
    "reports:report_xlsx": BRANCH_A_WRITE,
    "quizzes:bank_list": MANAGERS_ONLY,
    "quizzes:bank_import": MANAGERS_ONLY,
    "quizzes:bank_import_confirm": POST_ONLY,
    "quizzes:bank_export": MANAGERS_ONLY,
    "quizzes:knowledge_list": everyone(200),
    "quizzes:knowledge_create": MANAGERS_ONLY,
    "quizzes:knowledge_detail": BRANCH_A_READ,
    # Lesson A has no quiz: no make-up quiz to open; those without a member record may not take one.
    "quizzes:make_up_quiz": {ANON: 302, MEMBER: 404, SECRETARY: 404, OUTSIDER: 404, LEADER: 403, ADMIN: 403},
    "topics:survey_list": everyone(200),
    "topics:survey_create": MANAGERS_ONLY,
    "topics:survey_detail": BRANCH_A_READ,
    "topics:topic_propose": POST_ONLY,
    "topics:topic_vote": POST_ONLY,
    "topics:topic_link": POST_ONLY,
    "plans:plan_detail": BRANCH_A_READ,
    "plans:plan_item_add": POST_ONLY,
    "plans:plan_item_delete": POST_ONLY,
    "plans:rules_edit": {ANON: 302, MEMBER: 403, SECRETARY: 403, OUTSIDER: 403, LEADER: 200, ADMIN: 200},
}

# The tree personas, as (general-branch secretary, second bureau's leadership). Both
# hold roles elsewhere in the tree, so every object of branch A answers 404; pages
# without an object answer by role (a scoped leadership is leadership, the general
# branch secretary is a committee), and list pages show only their own subtree
# (tests/test_tree_scoping.py reads their contents).
TREE_EXPECTED = {
    "assessments:branch_dashboard": (404, 404),
    "assessments:confirm": (405, 405),
    "assessments:dashboard": (200, 200),
    "assessments:export": (403, 200),
    "assessments:history": (403, 404),
    "assessments:member_result": (404, 404),
    "assessments:recompute": (405, 405),
    "assessments:reopen": (405, 405),
    "assessments:scheme": (403, 403),
    "assessments:self_summary": (405, 405),
    "assessments:verdicts": (404, 404),
    "awards:config": (403, 403),
    "awards:rating_detail": (404, 404),
    "awards:rating_list": (200, 200),
    "awards:star_award": (405, 405),
    "awards:star_award_withdraw": (405, 405),
    "awards:star_list": (200, 200),
    "branches:branch_detail": (404, 404),
    "branches:branch_list": (200, 200),
    "calendar:calendar_view": (200, 200),
    "calendar:feed_ics": (200, 200),
    "calendar:feed_page": (200, 404),
    "calendar:feed_reset": (405, 405),
    "healthz": (200, 200),
    "home": (200, 200),
    "inbox:inbox": (200, 404),
    "inbox:mark_read": (405, 405),
    "inbox:open": (404, 404),
    "inbox:preferences": (200, 404),
    "login": (302, 302),
    "logout": (405, 405),
    "members:access_log": (403, 403),
    "members:lockout_list": (403, 403),
    "members:lockout_unlock": (405, 405),
    "members:member_detail": (404, 404),
    "members:member_edit": (404, 404),
    "members:member_export": (200, 200),
    "members:member_list": (200, 200),
    "members:member_transfer": (404, 404),
    "members:roster_import": (200, 200),
    "members:roster_import_confirm": (405, 405),
    "members:roster_template": (200, 200),
    "online:hours_import": (200, 200),
    "online:hours_import_confirm": (405, 405),
    "online:record_list": (200, 200),
    "password_change": (200, 200),
    "password_change_done": (200, 200),
    "plans:plan_detail": (404, 404),
    "plans:plan_item_add": (405, 405),
    "plans:plan_item_delete": (405, 405),
    "plans:rules_edit": (403, 403),
    "progress:branch_progress": (404, 404),
    "progress:my_progress": (200, 404),
    "quizzes:bank_export": (200, 200),
    "quizzes:bank_import": (200, 200),
    "quizzes:bank_import_confirm": (405, 405),
    "quizzes:bank_list": (200, 200),
    "quizzes:knowledge_create": (200, 200),
    "quizzes:knowledge_detail": (404, 404),
    "quizzes:knowledge_list": (200, 200),
    "quizzes:make_up_quiz": (404, 404),
    "reports:report_detail": (404, 404),
    "reports:report_list": (200, 200),
    # A 党总支 secretary requests reports on the 党总支's subtree.
    "reports:report_new": (200, 200),
    "reports:report_pdf": (404, 404),
    "reports:report_retry": (405, 405),
    "reports:report_status": (404, 404),
    "reports:report_xlsx": (404, 404),
    "selfstudy:assignment_create": (200, 200),
    "selfstudy:assignment_detail": (404, 404),
    "selfstudy:assignment_list": (200, 200),
    "selfstudy:note_create": (200, 404),
    "selfstudy:note_detail": (404, 404),
    "selfstudy:note_edit": (404, 404),
    "selfstudy:note_list": (200, 404),
    "selfstudy:note_review": (405, 405),
    "selfstudy:note_submit": (405, 405),
    "selfstudy:resource_create": (200, 200),
    "selfstudy:resource_detail": (200, 200),
    "selfstudy:resource_list": (200, 200),
    "selfstudy:review_queue": (200, 403),
    "set_language": (302, 302),
    "status": (403, 403),
    "supervision:evidence_add": (405, 405),
    "supervision:evidence_download": (404, 404),
    "supervision:item_update": (405, 405),
    "supervision:visit_create": (403, 200),
    "supervision:visit_detail": (404, 404),
    "supervision:visit_list": (200, 200),
    "topics:survey_create": (200, 200),
    "topics:survey_detail": (404, 404),
    "topics:survey_list": (200, 200),
    "topics:topic_link": (405, 405),
    "topics:topic_propose": (405, 405),
    "topics:topic_vote": (405, 405),
    "training:attendance": (404, 404),
    "training:check_in": (404, 404),
    "training:check_in_resume": (404, 404),
    "training:feedback": (405, 405),
    "training:invitation_respond": (405, 405),
    "training:leave_decide": (405, 405),
    "training:leave_request": (405, 405),
    "training:lecturer_search": (200, 200),
    "training:lesson_cancel": (405, 405),
    "training:lesson_close": (405, 405),
    "training:lesson_create": (200, 403),
    "training:lesson_detail": (404, 404),
    "training:lesson_edit": (404, 404),
    "training:lesson_list": (200, 200),
    "training:lesson_publish": (405, 405),
    "training:live_answer": (405, 405),
    "training:live_bank_add": (405, 405),
    "training:live_control": (404, 404),
    "training:live_item_action": (405, 405),
    "training:live_item_add": (405, 405),
    "training:live_pass_mark": (405, 405),
    "training:live_phone": (404, 404),
    "training:live_phone_items": (404, 404),
    "training:live_phone_wall": (404, 404),
    "training:live_presenter": (404, 404),
    "training:live_presenter_state": (404, 404),
    "training:live_summary_pdf": (404, 404),
    "training:material_add": (405, 405),
    "training:material_download": (404, 404),
    "training:projector": (404, 404),
    "training:projector_code": (404, 404),
    "training:projector_list": (404, 404),
    "training:question_answer": (405, 405),
    "training:question_ask": (405, 405),
    "training:sign_in_sheet": (404, 404),
    "training:wall_moderate": (405, 405),
    "training:wall_post": (405, 405),
    "training:wall_upvote": (405, 405),
}
EXPECTED = {
    name: {**rule, GB_SECRETARY: TREE_EXPECTED[name][0], LEADER2: TREE_EXPECTED[name][1]}
    for name, rule in EXPECTED.items()
}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from walk(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern):
            yield (f"{prefix}{entry.name}" if entry.name else f"{prefix}<unnamed>"), entry


ALL_PATTERNS = list(walk(get_resolver().url_patterns))
APP_NAMES = sorted({n for n, _p in ALL_PATTERNS if not n.startswith("admin:") and not n.endswith("<unnamed>")})
ADMIN_NAMES = sorted({n for n, _p in ALL_PATTERNS if n.startswith("admin:") and not n.endswith("<unnamed>")})


def test_every_url_pattern_has_a_rule():
    # The admin's unnamed patterns redirect to named ones, checked below.
    unnamed = [
        str(p.pattern) for name, p in ALL_PATTERNS if name.endswith("<unnamed>") and not name.startswith("admin:")
    ]
    assert unnamed == []
    assert sorted(set(APP_NAMES) - set(EXPECTED)) == []
    assert sorted(set(EXPECTED) - set(APP_NAMES)) == []


@pytest.fixture
def all_personas(personas, gb_secretary, bureau2_leader):
    return {**personas, GB_SECRETARY: gb_secretary, LEADER2: bureau2_leader}


@pytest.fixture
def url_args(branch_a, personas):
    from django.core.files.base import ContentFile

    from assessments.models import CheckupReport, RectificationEvidence, RectificationItem, SupervisionVisit
    from training.models import (
        Assignment,
        AssignmentTarget,
        KnowledgeQuiz,
        LeaveRequest,
        LessonMaterial,
        Question,
        StudyNote,
        StudyResource,
        TopicSurvey,
    )
    from training.services.lessons import audience_sync, calendar_feed_for, checkin_token
    from training.tests.factories import LessonFactory

    member = Member.objects.get(user=personas[MEMBER])
    lesson = LessonFactory(organiser=branch_a)
    audience_sync(lesson=lesson)
    material = LessonMaterial(lesson=lesson, title="讲稿")
    material.file.save("slides.pdf", ContentFile(b"%PDF-1.4"), save=True)
    note = StudyNote.objects.create(member=member, title="体会", body="正文", study_date=lesson.start.date(), hours=1)
    resource = StudyResource.objects.create(title="《习近平谈治国理政》", kind="book")
    assignment = Assignment.objects.create(title="自学", due_on=lesson.start.date(), branch=branch_a)
    AssignmentTarget.objects.create(assignment=assignment, member=member)
    visit = SupervisionVisit.objects.create(
        branch=branch_a, visited_on=lesson.start.date(), inspectors="督查组", findings="记录不全"
    )
    item = RectificationItem.objects.create(
        visit=visit, description="补齐记录", owner="书记甲", deadline=visit.visited_on
    )
    evidence = RectificationEvidence(item=item)
    evidence.file.save("photo.png", ContentFile(b"png"), save=True)
    report = CheckupReport(
        period="month",
        period_start=visit.visited_on.replace(day=1),
        period_end=visit.visited_on,
        branch=branch_a,
        status="done",
    )
    report.pdf.save("report.pdf", ContentFile(b"%PDF-1.4"), save=False)
    report.xlsx.save("report.xlsx", ContentFile(b"PK"), save=True)
    return {
        "branch_id": branch_a.pk,
        "member_id": member.pk,
        "object_id": str(member.pk),
        "app_label": "members",
        "content_type_id": 1,
        "id": str(personas[MEMBER].pk),
        "lesson_id": lesson.pk,
        "token": checkin_token(lesson),
        "leave_id": LeaveRequest.objects.create(lesson=lesson, member=member, reason="出差").pk,
        "question_id": Question.objects.create(lesson=lesson, member=member, text="?").pk,
        "material_id": material.pk,
        "item_id": 1,
        "award_id": 1,
        "visit_id": visit.pk,
        "report_id": report.pk,
        "notification_id": Notification.objects.create(
            recipient=member, channel="in_app", kind="k", dedup_key="url-roles", title="t", url="/"
        ).pk,
        "evidence_id": evidence.pk,
        "year": 2026,
        "feed_token": calendar_feed_for(member).token,
        "note_id": note.pk,
        "resource_id": resource.pk,
        "assignment_id": assignment.pk,
        "action": "open",
        "survey_id": TopicSurvey.objects.create(
            branch=branch_a, year=2027, title="2027年培训需求", closes_on=lesson.start.date()
        ).pk,
        "proposal_id": 1,
        "quiz_id": KnowledgeQuiz.objects.create(
            branch=branch_a, title="党章知识测试", opens_at=lesson.start, closes_at=lesson.end
        ).pk,
    }


def build_url(name, url_args):
    pattern = dict(ALL_PATTERNS)[name]
    keys = set(pattern.pattern.regex.groupindex)
    if name == "calendar:feed_ics":
        url_args = {**url_args, "token": url_args["feed_token"]}
    return reverse(name, kwargs={k: v for k, v in url_args.items() if k in keys})


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_app_urls_answer_as_expected_for_each_role(client, all_personas, url_args, persona):
    if persona != ANON:
        client.force_login(all_personas[persona])
    got = {name: client.get(build_url(name, url_args)).status_code for name in APP_NAMES}
    assert got == {name: EXPECTED[name][persona] for name in APP_NAMES}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_urls_are_for_staff_only(client, all_personas, url_args, persona):
    if persona != ANON:
        client.force_login(all_personas[persona])
    for name in ADMIN_NAMES:
        response = client.get(build_url(name, url_args))
        if name == "admin:login":
            assert response.status_code in (200, 302), name
        elif persona == ADMIN:
            assert response.status_code < 500, name
        else:
            assert response.status_code in (302, 405), name
            if response.status_code == 302:
                target = response["Location"]
                assert target.startswith(("/admin/login/", "/accounts/login/")) or target == "/admin/", name
