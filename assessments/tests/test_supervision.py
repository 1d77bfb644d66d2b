# One idea: the supervision workflow end to end (visit, items, evidence, overdue rule, pages) on one fixture set.
"""Supervision visits (日常督查) and rectification (整改): services, selectors, pages, permissions, query counts."""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import RectificationEvidence, RectificationItem, SupervisionVisit
from assessments.selectors.supervision import (
    local_today,
    overdue_items,
    overdue_rectification_count,
    rectification_summary_by_branch,
    visit_detail,
    visits_for_user,
)
from assessments.services import supervision
from assessments.services.supervision import evidence_add, item_add, item_update, visit_create, visit_update
from branches.tests.factories import BranchFactory
from core.models import AuditEntry
from members.permissions import roles_for
from members.tests.factories import MemberFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

OPEN = RectificationItem.Status.OPEN
IN_PROGRESS = RectificationItem.Status.IN_PROGRESS
DONE = RectificationItem.Status.DONE
DAY = datetime.timedelta(days=1)


def _visit(branch, visited_on, *items, inspectors="王检查, 李督导"):
    """Write a visit and its items straight to the database: (deadline, status) per item."""
    visit = SupervisionVisit.objects.create(
        branch=branch, visited_on=visited_on, inspectors=inspectors, findings="学习记录不完整"
    )
    for deadline, status in items:
        RectificationItem.objects.create(
            visit=visit,
            description="补齐学习记录",
            owner="书记甲",
            deadline=deadline,
            status=status,
            completed_on=deadline if status == DONE else None,
        )
    return visit


@pytest.fixture
def today():
    return local_today()


@pytest.fixture
def visit_a(branch_a, today):
    """A visit of branch A a month ago: one overdue item, one due in ten days, one rectified late."""
    return _visit(
        branch_a,
        today - 30 * DAY,
        (today - 5 * DAY, OPEN),
        (today + 10 * DAY, IN_PROGRESS),
        (today - 20 * DAY, DONE),
    )


@pytest.fixture
def secretary_b(branch_b):
    user = UserFactory(username="secretary_b")
    PostFactory(member=MemberFactory(user=user, branch=branch_b, full_name="书记乙"))
    return user


def _items(visit):
    return list(visit.items.order_by("deadline", "pk"))


def _item(visit, status):
    return visit.items.get(status=status)


def _pdf(name="整改照片.pdf", body=b"%PDF-1.4 evidence"):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


# --- creating visits -------------------------------------------------------


def test_leader_creates_visit_with_items(client, leader, branch_a, today):
    client.force_login(leader)
    assert client.get(reverse("supervision:visit_create")).status_code == 200
    data = {
        "branch": branch_a.pk,
        "visited_on": (today - 2 * DAY).isoformat(),
        "inspectors": "王检查, 李督导",
        "findings": "三会一课记录不全",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "补齐支委会记录",
        "items-0-owner": "书记甲",
        "items-0-deadline": (today + 30 * DAY).isoformat(),
        "items-1-description": "制定学习计划",
        "items-1-owner": "组织委员",
        "items-1-deadline": (today + 15 * DAY).isoformat(),
        "items-2-description": "",
        "items-2-owner": "",
        "items-2-deadline": "",
        "action": "save",
    }
    response = client.post(reverse("supervision:visit_create"), data)
    visit = SupervisionVisit.objects.get()
    assert response.status_code == 302 and response["Location"] == visit.get_absolute_url()
    assert (visit.branch, visit.created_by, visit.inspectors) == (branch_a, leader, "王检查, 李督导")
    assert [(i.description, i.status, i.completed_on) for i in _items(visit)] == [
        ("制定学习计划", OPEN, None),
        ("补齐支委会记录", OPEN, None),
    ]
    actions = sorted(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["rectification_item.added", "rectification_item.added", "supervision_visit.created"]
    assert client.get(visit.get_absolute_url()).status_code == 200


def test_half_filled_item_row_is_refused(client, leader, branch_a, today):
    client.force_login(leader)
    data = {
        "branch": branch_a.pk,
        "visited_on": today.isoformat(),
        "inspectors": "王检查",
        "findings": "问题",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "补齐记录",
        "items-0-owner": "",
        "items-0-deadline": "",
    }
    assert client.post(reverse("supervision:visit_create"), data).status_code == 400
    assert not SupervisionVisit.objects.exists()


def test_add_row_keeps_what_was_typed(client, leader, branch_a, today):
    client.force_login(leader)
    data = {
        "branch": branch_a.pk,
        "visited_on": today.isoformat(),
        "inspectors": "王检查",
        "findings": "",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-description": "补齐记录",
        "items-0-owner": "",
        "items-0-deadline": "",
        "action": "add_row",
    }
    response = client.post(reverse("supervision:visit_create"), data)
    html = response.content.decode()
    assert response.status_code == 200 and not SupervisionVisit.objects.exists()
    assert 'name="items-TOTAL_FORMS" value="2"' in html and 'name="items-INITIAL_FORMS" value="0"' in html
    assert "补齐记录" in html and 'value="王检查"' in html
    assert "is-invalid" not in html  # nothing is judged before "save"
    # The re-shown row is saved even though it is unchanged from what was shown.
    data.update(
        {
            "items-TOTAL_FORMS": "2",
            "items-0-owner": "书记甲",
            "items-0-deadline": (today + DAY).isoformat(),
            "findings": "问题",
            "action": "save",
        }
    )
    assert client.post(reverse("supervision:visit_create"), data).status_code == 302
    assert SupervisionVisit.objects.get().items.count() == 1


def test_visit_create_is_all_or_nothing(leader, branch_a, today):
    items = [
        {"description": "一", "owner": "甲", "deadline": today + DAY},
        {"description": "二", "owner": "乙", "deadline": today - 10 * DAY},
    ]
    data = {"branch": branch_a, "visited_on": today - DAY, "inspectors": "王检查", "findings": "问题"}
    with pytest.raises(ValidationError) as exc:
        visit_create(data=data, items=items, actor=leader)
    assert exc.value.error_dict["deadline"][0].code == "deadline_before_visit"
    assert not SupervisionVisit.objects.exists() and not AuditEntry.objects.exists()


def test_visit_cannot_be_in_the_future(leader, branch_a, today):
    data = {"branch": branch_a, "visited_on": today + DAY, "inspectors": "王检查", "findings": "问题"}
    with pytest.raises(ValidationError) as exc:
        visit_create(data=data, items=[], actor=leader)
    assert exc.value.error_dict["visited_on"][0].code == "visit_in_future"


def test_visit_update_and_item_add_are_audited(leader, visit_a, branch_a, branch_b, today):
    visit_update(visit=visit_a, data={"inspectors": "张检查", "branch": branch_b}, actor=leader)
    visit_a.refresh_from_db()
    assert (visit_a.inspectors, visit_a.branch_id) == ("张检查", branch_b.pk)
    entry = AuditEntry.objects.get(action="supervision_visit.updated")
    assert entry.payload == {
        "inspectors": ["王检查, 李督导", "张检查"],
        "branch": [visit_a.branch_id - 0, branch_b.pk],
    } or (entry.payload["inspectors"] == ["王检查, 李督导", "张检查"] and entry.payload["branch"][1] == branch_b.pk)
    # Unchanged data writes nothing.
    visit_update(visit=visit_a, data={"inspectors": "张检查"}, actor=leader)
    assert AuditEntry.objects.filter(action="supervision_visit.updated").count() == 1
    item = item_add(visit=visit_a, data={"description": "新问题", "owner": "甲", "deadline": today}, actor=leader)
    assert item.status == OPEN and AuditEntry.objects.filter(action="rectification_item.added").count() == 1


# --- reporting rectification -----------------------------------------------


def test_secretary_reports_item_done_with_evidence(client, secretary, member, visit_a, today):
    item = _item(visit_a, OPEN)
    client.force_login(secretary)
    assert client.get(visit_a.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("supervision:item_update", args=[item.pk]),
        {f"item-{item.pk}-status": DONE, f"item-{item.pk}-note": "已补齐记录", f"item-{item.pk}-completed_on": ""},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert (item.status, item.completed_on, item.note) == (DONE, today, "已补齐记录")

    response = client.post(reverse("supervision:evidence_add", args=[item.pk]), {f"evidence-{item.pk}-file": _pdf()})
    assert response.status_code == 302
    evidence = item.evidence.get()
    assert (str(evidence), evidence.size, evidence.uploaded_by) == ("整改照片.pdf", 17, secretary)

    html = client.get(visit_a.get_absolute_url()).content.decode()
    assert reverse("supervision:evidence_download", args=[evidence.pk]) in html
    response = client.get(reverse("supervision:evidence_download", args=[evidence.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 evidence"
    assert "attachment" in response["Content-Disposition"]
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == [
        "rectification_evidence.added",
        "rectification_item.updated",
    ]
    update = AuditEntry.objects.get(action="rectification_item.updated")
    assert update.actor == secretary and update.payload["status"] == [OPEN, DONE]
    assert update.payload["completed_on"] == [None, str(today)]


def test_secretary_cannot_change_what_the_item_is(client, secretary, visit_a, today):
    item = _item(visit_a, OPEN)
    client.force_login(secretary)
    client.post(
        reverse("supervision:item_update", args=[item.pk]),
        {
            f"item-{item.pk}-status": IN_PROGRESS,
            f"item-{item.pk}-description": "不用整改",
            f"item-{item.pk}-deadline": (today + 365 * DAY).isoformat(),
        },
    )
    item.refresh_from_db()
    assert (item.status, item.description, item.deadline) == (IN_PROGRESS, "补齐学习记录", today - 5 * DAY)


def test_leader_may_move_a_deadline(client, leader, visit_a, today):
    item = _item(visit_a, OPEN)
    client.force_login(leader)
    response = client.post(
        reverse("supervision:item_update", args=[item.pk]),
        {
            f"item-{item.pk}-description": "补齐全年学习记录",
            f"item-{item.pk}-owner": "书记甲",
            f"item-{item.pk}-deadline": (today + 7 * DAY).isoformat(),
            f"item-{item.pk}-status": OPEN,
            f"item-{item.pk}-note": "",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.description, item.deadline) == ("补齐全年学习记录", today + 7 * DAY)


def test_completion_date_is_today_in_shanghai_and_reopening_clears_it(leader, branch_a):
    # 17:30 UTC on 1 March is already 2 March in Asia/Shanghai.
    with time_machine.travel(datetime.datetime(2025, 3, 1, 17, 30, tzinfo=datetime.UTC), tick=False):
        visit = _visit(branch_a, datetime.date(2025, 2, 1), (datetime.date(2025, 2, 20), OPEN))
        item = visit.items.get()
        item = item_update(item=item, data={"status": DONE}, actor=leader)
        assert item.completed_on == datetime.date(2025, 3, 2)
        item = item_update(item=item, data={"status": IN_PROGRESS}, actor=leader)
        assert item.completed_on is None
        item = item_update(item=item, data={"status": DONE, "completed_on": datetime.date(2025, 2, 25)}, actor=leader)
        assert item.completed_on == datetime.date(2025, 2, 25)
        # Editing the note of a rectified item keeps its date.
        item = item_update(item=item, data={"note": "已验收", "completed_on": None}, actor=leader)
        assert (item.status, item.completed_on) == (DONE, datetime.date(2025, 2, 25))
        with pytest.raises(ValidationError) as exc:
            item_update(item=item, data={"completed_on": datetime.date(2025, 3, 3)}, actor=leader)
        assert exc.value.error_dict["completed_on"][0].code == "completed_in_future"
    assert AuditEntry.objects.filter(action="rectification_item.updated").count() == 4


# --- overdue ---------------------------------------------------------------


def test_overdue_means_past_the_deadline_and_not_rectified(branch_a):
    today = datetime.date(2025, 6, 30)
    visit = _visit(
        branch_a,
        datetime.date(2025, 5, 1),
        (datetime.date(2025, 6, 29), OPEN),  # overdue
        (datetime.date(2025, 6, 1), IN_PROGRESS),  # overdue
        (datetime.date(2025, 6, 30), OPEN),  # due today: not yet overdue
        (datetime.date(2025, 5, 2), DONE),  # rectified: never overdue
    )
    overdue = list(overdue_items(today=today))
    assert [(i.deadline, i.status) for i in overdue] == [
        (datetime.date(2025, 6, 1), IN_PROGRESS),
        (datetime.date(2025, 6, 29), OPEN),
    ]
    assert [i.is_overdue for i in visit_detail(visit, today=today).items] == [False, True, True, False]
    later = visit_detail(visit, today=datetime.date(2026, 1, 1))
    assert (later.overdue_count, later.done_count, later.item_count) == (3, 1, 4)
    assert overdue_rectification_count(today=datetime.date(2025, 5, 1)) == 0


def test_visit_list_highlights_overdue_visits(client, secretary, branch_a, visit_a, today):
    late_but_done = _visit(branch_a, today - 40 * DAY, (today - 30 * DAY, DONE))
    on_time = _visit(branch_a, today - 3 * DAY, (today, OPEN))
    client.force_login(secretary)
    html = client.get(reverse("supervision:visit_list")).content.decode()
    assert f'<tr id="visit-{visit_a.pk}" class="table-danger">' in html
    assert f'<tr id="visit-{late_but_done.pk}">' in html
    assert f'<tr id="visit-{on_time.pk}">' in html
    row = re.search(rf'<tr id="visit-{visit_a.pk}".*?</tr>', html, re.S).group(0)
    assert 'class="badge text-bg-danger"' in row
    for quiet in (late_but_done, on_time):
        row = re.search(rf'<tr id="visit-{quiet.pk}".*?</tr>', html, re.S).group(0)
        assert "text-bg-danger" not in row
    # The overdue panel lists the one overdue item, highlighted.
    panel = re.search(r'<section class="card border-danger mb-3" id="overdue-items".*?</section>', html, re.S).group(0)
    overdue_item = _item(visit_a, OPEN)
    assert panel.count('<tr class="table-danger">') == 1 and f"#item-{overdue_item.pk}" in panel


def test_visit_detail_highlights_overdue_items(client, leader, visit_a):
    overdue, later, done = _item(visit_a, OPEN), _item(visit_a, IN_PROGRESS), _item(visit_a, DONE)
    client.force_login(leader)
    html = client.get(visit_a.get_absolute_url()).content.decode()
    assert f'<article class="card mb-3 border-danger" id="item-{overdue.pk}">' in html
    assert f'<article class="card mb-3" id="item-{later.pk}">' in html
    assert f'<article class="card mb-3" id="item-{done.pk}">' in html


def test_visit_list_filters(client, leader, branch_a, branch_b, visit_a, today):
    done = _visit(branch_b, today - 2 * DAY, (today + DAY, DONE))
    empty = _visit(branch_b, datetime.date(today.year - 1, 6, 1))
    client.force_login(leader)

    def listed(**params):
        html = client.get(reverse("supervision:visit_list"), params).content.decode()
        return {int(pk) for pk in re.findall(r'<tr id="visit-(\d+)"', html)}

    assert listed() == {visit_a.pk, done.pk, empty.pk}
    assert listed(branch=branch_b.pk) == {done.pk, empty.pk}
    assert listed(year=today.year - 1) == {empty.pk}
    assert listed(year=2001) == set()
    assert listed(status="overdue") == {visit_a.pk}
    assert listed(status="pending") == {visit_a.pk}
    assert listed(status="done") == {done.pk, empty.pk}
    assert listed(year="nonsense", status="nonsense") == {visit_a.pk, done.pk, empty.pk}


def test_committee_sees_only_its_branches(branch_a, branch_b, secretary, member, leader, visit_a, today):
    visit_b = _visit(branch_b, today)
    assert set(visits_for_user(roles_for(secretary))) == {visit_a}
    assert set(visits_for_user(roles_for(leader))) == {visit_a, visit_b}
    assert not visits_for_user(roles_for(member)).exists()


# --- uploads ---------------------------------------------------------------


def test_evidence_type_is_limited(client, secretary, visit_a):
    item = _item(visit_a, OPEN)
    client.force_login(secretary)
    response = client.post(
        reverse("supervision:evidence_add", args=[item.pk]),
        {f"evidence-{item.pk}-file": SimpleUploadedFile("x.exe", b"MZ")},
    )
    assert response.status_code == 400 and ".exe" in response.content.decode()
    assert not RectificationEvidence.objects.exists()
    for name in ("a.pdf", "b.DOCX", "c.xls", "d.xlsx", "e.jpg", "f.JPEG", "g.png", "h.doc"):
        evidence_add(item=item, upload=SimpleUploadedFile(name, b"x"), actor=secretary)
    for name in ("a.ppt", "b.txt", "c.mp4", "noextension", "x.pdf.exe"):
        with pytest.raises(ValidationError) as exc:
            evidence_add(item=item, upload=SimpleUploadedFile(name, b"x"), actor=secretary)
        assert exc.value.error_dict["file"][0].code == "file_type"
    assert item.evidence.count() == 8


def test_evidence_size_is_limited(client, secretary, visit_a, monkeypatch):
    item = _item(visit_a, OPEN)
    assert supervision.EVIDENCE_MAX_BYTES == 20 * 1024 * 1024
    monkeypatch.setattr(supervision, "EVIDENCE_MAX_BYTES", 10)
    evidence_add(item=item, upload=SimpleUploadedFile("ok.pdf", b"x" * 10), actor=secretary)
    with pytest.raises(ValidationError) as exc:
        evidence_add(item=item, upload=SimpleUploadedFile("big.pdf", b"x" * 11), actor=secretary)
    assert exc.value.error_dict["file"][0].code == "file_size"
    client.force_login(secretary)
    response = client.post(
        reverse("supervision:evidence_add", args=[item.pk]),
        {f"evidence-{item.pk}-file": SimpleUploadedFile("big.pdf", b"x" * 11)},
    )
    assert response.status_code == 400 and "MB" in response.content.decode()
    assert item.evidence.count() == 1


# --- permissions -----------------------------------------------------------


@pytest.fixture
def evidence_a(visit_a, secretary):
    return evidence_add(item=_item(visit_a, OPEN), upload=_pdf(), actor=secretary)


def test_personas_on_every_page(client, personas, visit_a, evidence_a):
    item = _item(visit_a, OPEN)
    urls = {
        "list": reverse("supervision:visit_list"),
        "new": reverse("supervision:visit_create"),
        "detail": visit_a.get_absolute_url(),
        "download": reverse("supervision:evidence_download", args=[evidence_a.pk]),
    }
    expected = {
        "secretary": {"list": 200, "new": 403, "detail": 200, "download": 200},
        "member": {"list": 403, "new": 403, "detail": 403, "download": 403},
        "outsider": {"list": 403, "new": 403, "detail": 404, "download": 404},
        "leader": {"list": 200, "new": 200, "detail": 200, "download": 200},
        "admin": {"list": 200, "new": 200, "detail": 200, "download": 200},
    }
    for name, user in personas.items():
        client.force_login(user)
        got = {key: client.get(url).status_code for key, url in urls.items()}
        assert got == expected[name], name
        # The mutations are POST only.
        assert client.get(reverse("supervision:item_update", args=[item.pk])).status_code == 405
        assert client.get(reverse("supervision:evidence_add", args=[item.pk])).status_code == 405
    client.logout()
    for url in urls.values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_plain_member_and_outsider_cannot_report(client, member, outsider, visit_a):
    item = _item(visit_a, OPEN)
    for user, status in ((member, 403), (outsider, 404)):
        client.force_login(user)
        update = client.post(reverse("supervision:item_update", args=[item.pk]), {f"item-{item.pk}-status": DONE})
        upload = client.post(reverse("supervision:evidence_add", args=[item.pk]), {f"evidence-{item.pk}-file": _pdf()})
        assert (update.status_code, upload.status_code) == (status, status)
    item.refresh_from_db()
    assert item.status == OPEN and not item.evidence.exists() and not AuditEntry.objects.exists()


def test_secretary_cannot_create_visits(client, secretary, branch_a, today):
    client.force_login(secretary)
    data = {"branch": branch_a.pk, "visited_on": today.isoformat(), "inspectors": "我", "findings": "无"}
    assert client.post(reverse("supervision:visit_create"), data).status_code == 403
    assert not SupervisionVisit.objects.exists()


def test_secretary_of_another_branch_cannot_update_an_item(client, secretary_b, visit_a):
    item = _item(visit_a, OPEN)
    client.force_login(secretary_b)
    response = client.post(reverse("supervision:item_update", args=[item.pk]), {f"item-{item.pk}-status": DONE})
    assert response.status_code == 404
    assert client.get(visit_a.get_absolute_url()).status_code == 404
    item.refresh_from_db()
    assert item.status == OPEN


def test_pages_have_no_inline_script_or_style(client, leader, visit_a, evidence_a):
    client.force_login(leader)
    for url in (reverse("supervision:visit_list"), reverse("supervision:visit_create"), visit_a.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "style=" not in html
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html)), url


# --- dashboard selectors ---------------------------------------------------


def test_dashboard_selectors_against_counts_written_by_hand(branch_a, branch_b, django_assert_num_queries):
    today = datetime.date(2025, 6, 30)
    quiet = BranchFactory(name="无督查支部", code="quiet")
    BranchFactory(name="已撤销支部", code="gone", is_active=False)
    _visit(
        branch_a,
        datetime.date(2025, 3, 1),
        (datetime.date(2025, 4, 1), OPEN),  # overdue
        (datetime.date(2025, 7, 1), IN_PROGRESS),
        (datetime.date(2025, 4, 1), DONE),
    )
    _visit(branch_a, datetime.date(2025, 5, 1))
    _visit(branch_a, datetime.date(2024, 12, 31), (datetime.date(2025, 1, 31), OPEN))  # 2024's, overdue
    _visit(
        branch_b,
        datetime.date(2025, 1, 1),
        (datetime.date(2025, 6, 30), OPEN),  # due today
        (datetime.date(2025, 6, 29), IN_PROGRESS),  # overdue
    )
    _visit(branch_b, datetime.date(2026, 1, 5), (datetime.date(2026, 2, 1), OPEN))

    with django_assert_num_queries(1):
        assert overdue_rectification_count(today=today) == 3
    with django_assert_num_queries(1):
        assert overdue_rectification_count(branch_ids=[branch_a.pk], today=today) == 2
    assert overdue_rectification_count(branch_ids={branch_b.pk}, today=today) == 1
    assert overdue_rectification_count(branch_ids=[], today=today) == 0

    with django_assert_num_queries(1):
        rows = rectification_summary_by_branch(year=2025, today=today)
    got = {
        row.branch.code: (
            row.visit_count,
            row.item_count,
            row.open_count,
            row.in_progress_count,
            row.overdue_count,
            row.done_count,
        )
        for row in rows
    }
    assert got == {
        "a": (2, 3, 2, 1, 1, 1),
        "b": (1, 2, 2, 1, 1, 0),
        quiet.code: (0, 0, 0, 0, 0, 0),
    }
    got_2024 = {
        row.branch.code: (row.visit_count, row.item_count, row.overdue_count)
        for row in rectification_summary_by_branch(year=2024, today=today)
    }
    assert got_2024 == {"a": (1, 1, 1), "b": (0, 0, 0), quiet.code: (0, 0, 0)}


# --- query counts ----------------------------------------------------------


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _visits_with_items(branch, today, n_visits, n_items):
    visits = []
    for v in range(n_visits):
        visit = _visit(
            branch,
            today - (v + 10) * DAY,
            *[(today + (i - n_items // 2) * DAY, (OPEN, IN_PROGRESS, DONE)[i % 3]) for i in range(n_items)],
        )
        for item in visit.items.all():
            RectificationEvidence.objects.create(item=item, file=f"rectification/{item.pk}/x/照片.jpg", size=100)
        visits.append(visit)
    return visits


def test_visit_list_query_count_is_fixed(client, secretary, branch_a, today, django_assert_num_queries):
    _visits_with_items(branch_a, today, 2, 2)
    client.force_login(secretary)
    client.get(reverse("home"))
    url = reverse("supervision:visit_list")
    small = _count_queries(client, url)
    _visits_with_items(branch_a, today, 18, 3)
    assert SupervisionVisit.objects.count() == 20
    assert _count_queries(client, url) == small
    with django_assert_num_queries(small):
        client.get(url)


def test_visit_detail_query_count_is_fixed(client, secretary, branch_a, today):
    (small_visit,) = _visits_with_items(branch_a, today, 1, 2)
    (large_visit,) = _visits_with_items(branch_a, today, 1, 20)
    client.force_login(secretary)
    client.get(reverse("home"))
    assert _count_queries(client, small_visit.get_absolute_url()) == _count_queries(
        client, large_visit.get_absolute_url()
    )


def test_query_budgets(client, secretary, leader, branch_a, today, django_assert_num_queries):
    (visit,) = _visits_with_items(branch_a, today, 1, 5)
    client.force_login(secretary)
    client.get(reverse("home"))
    with django_assert_num_queries(QUERY_BUDGET["list"]):
        client.get(reverse("supervision:visit_list"))
    with django_assert_num_queries(QUERY_BUDGET["detail"]):
        client.get(visit.get_absolute_url())


QUERY_BUDGET = {"list": 9, "detail": 6}  # 3 load the session, the user, and their roles with the inbox badge


def test_refused_update_shows_the_form_again(client, secretary, visit_a, today):
    item = _item(visit_a, OPEN)
    client.force_login(secretary)
    response = client.post(
        reverse("supervision:item_update", args=[item.pk]),
        {f"item-{item.pk}-status": DONE, f"item-{item.pk}-completed_on": (today + DAY).isoformat()},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        f'name="item-{item.pk}-completed_on"' in html and "is-invalid" in html and '<details class="mb-2" open>' in html
    )
    assert f'name="item-{item.pk}-description"' not in html  # the committee reports progress only
    item.refresh_from_db()
    assert (item.status, item.completed_on) == (OPEN, None)
