"""The figures ledger on a year with every ordinary edge case, changed through the services.

Each change goes through the service a person's click calls, so the stale
marks are the services' own; then the worker's task (figures_refresh) counts
them. Every value below is counted by hand from the story, and the nightly
reconciliation must find no difference.

The year 2026, branches A, B, C, D; today is 15 January 2027.
- L1 10 Mar, A organises, B co-hosts (accepted), d1 of D invited by name, 2 h:
  a1 present, sec late, t1 present, d1 present, dead present, a2 on leave with
  the make-up done; b1, t2, left absent at close.
- left leaves the bureau on 15 Mar; dead dies on 1 May.
- L6 10 Jun, A, 2 h, published in April (dead was in its audience then):
  a1 present; a2, sec, t1, t2 absent at close; dead is no longer audience.
- t1 moves from A to B on 1 Jul.
- L2 15 Sep, B, 3 h: b1, t1 present.  late joins A on 1 Sep.
- L7 20 Sep, A, 1 h: late present, a1 marked absent; a2, sec, t2 absent at close.
- L5 10 Oct, A, published with a1 marked present, then cancelled.
- t2 moves from A to C on 31 Dec.
- L3 31 Dec 23:00, A, 1 h, published on 1 Dec: a1 present; a2, sec, late
  absent at close; t2 was in C that day and is not its audience.
- L4 1 Jan 2027 00:30, A: a1 present — a 2027 lesson.
- Notes: a1's note returned, revised and passed (2 h, good), a1's draft;
  a2's make-up note passed (2 h); b1's note waiting. Online hours: the same
  file imported twice (a1 3 h, sec 4 h).
- sec's committee post ends on 10 Jan 2027; new joins A on 5 Jan 2027;
  c1 of C had no lesson at all.
"""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from assessments.models import YearEndAssessment
from assessments.selectors.dashboards import dashboard, member_rows
from branches.tests.factories import BranchFactory
from members.models import Member, Post, StaleFigures
from members.services.members import member_transfer, member_update
from members.tests.factories import MemberFactory, PostFactory, UserFactory
from training.models import Assignment, Attendance, LessonHost, MemberYearFigures, OnlineStudyRecord
from training.selectors.progress import branch_progress, member_progress
from training.services.figures import figures_refresh
from training.services.lessons import (
    attendance_mark,
    audience_sync,
    leave_request_create,
    leave_request_decide,
    lesson_cancel,
    lesson_close,
)
from training.services.online import online_hours_import
from training.services.reconcile import reconcile_year
from training.services.study import note_review, note_save, note_submit
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db
YEAR = 2026
TODAY = datetime.date(2027, 1, 15)
D = Decimal


def travel(day, hour=12):
    return time_machine.travel(at(day.year, day.month, day.day, hour), tick=False)


def lesson(organiser, start, hours, *, published_on=None, co_hosts=(), named=()):
    with travel(published_on or (start.date() - datetime.timedelta(days=7))):
        made = LessonFactory(
            organiser=organiser, start=start, end=start + datetime.timedelta(hours=1), credit_hours=D(hours)
        )
        for branch in co_hosts:
            LessonHost.objects.create(lesson=made, branch=branch, status=LessonHost.Status.ACCEPTED)
        made.extra_audience.add(*named)
        audience_sync(lesson=made)
    return made


def mark(made, actor, marks: dict):
    """Take attendance as the secretary does: {member: status}, with a reason for those who did not scan."""
    result = attendance_mark(
        lesson=made, marks={m.pk: (status, "现场签到") for m, status in marks.items()}, actor=actor
    )
    assert not result.errors, result.errors


def close(made, actor):
    with time_machine.travel(made.end + datetime.timedelta(hours=1), tick=False):
        lesson_close(lesson=made, actor=actor)


def passed_note(member, actor, day, hours, *, assignment=None, returned_first=False):
    with travel(day):
        note = note_save(
            note=None,
            member=member,
            data={
                "title": "学习体会",
                "body": "结合本职工作谈体会。" * 5,
                "study_date": day,
                "hours": D(hours),
                "kind": "note",
                "assignment": assignment,
            },
            actor=member.user,
        )
        note_submit(note=note, actor=member.user)
        if returned_first:
            note_review(note=note, passed=False, grade="", comment="请结合工作实际修改", actor=actor)
            note = note_save(note=note, member=member, data={"body": "结合本职工作再谈体会。" * 5}, actor=member.user)
            note_submit(note=note, actor=member.user)
        note_review(note=note, passed=True, grade="good", comment="", actor=actor)
    return note


@pytest.fixture
def story(committee, admin_user):
    a = BranchFactory(name="甲支部", code="la", parent=committee)
    b = BranchFactory(name="乙支部", code="lb", parent=committee)
    c = BranchFactory(name="丙支部", code="lc", parent=committee)
    d = BranchFactory(name="丁支部", code="ld", parent=committee)

    def person(name, branch, **kwargs):
        return MemberFactory(full_name=name, branch=branch, user=UserFactory(username=f"u-{name}"), **kwargs)

    a1, a2, sec = person("甲一", a), person("甲二", a), person("甲书记", a)
    PostFactory(member=sec, branch=a, start_on=datetime.date(2020, 1, 1), end_on=datetime.date(2027, 1, 10))
    b1, c1, d1 = person("乙一", b), person("丙一", c), person("丁一", d)
    t1, t2 = person("调一", a), person("调二", a)
    dead, left = person("故一", a), person("出一", a)
    late = person("新一", a, joined_party_on=datetime.date(2026, 9, 1), full_member_on=None)
    actor = admin_user

    l1 = lesson(a, at(2026, 3, 10, 9), "2", co_hosts=[b], named=[d1])
    with travel(datetime.date(2026, 3, 9)):
        leave = leave_request_create(lesson=l1, member=a2, reason="出差")
        leave_request_decide(leave=leave, approve=True, actor=actor)
    with travel(datetime.date(2026, 3, 10), hour=10):
        mark(l1, actor, {a1: "present", sec: "late", t1: "present", d1: "present", dead: "present"})
    close(l1, actor)
    make_up = Assignment.objects.get(lesson=l1, kind="make_up")
    passed_note(a2, actor, datetime.date(2026, 3, 20), "2", assignment=make_up)
    with travel(datetime.date(2026, 3, 15)):
        member_update(member=left, data={"status": Member.Status.TRANSFERRED_OUT}, actor=actor)
    l6 = lesson(a, at(2026, 6, 10, 9), "2", published_on=datetime.date(2026, 4, 1))
    with travel(datetime.date(2026, 5, 1)):
        member_update(member=dead, data={"status": Member.Status.DECEASED}, actor=actor)
    with travel(datetime.date(2026, 6, 10), hour=10):
        mark(l6, actor, {a1: "present"})
    close(l6, actor)
    with travel(datetime.date(2026, 6, 20)):
        member_transfer(member=t1, to_branch=b, on=datetime.date(2026, 7, 1), actor=actor)
    l2 = lesson(b, at(2026, 9, 15, 9), "3")
    with travel(datetime.date(2026, 9, 15), hour=10):
        mark(l2, actor, {b1: "present", t1: "present"})
    close(l2, actor)
    l7 = lesson(a, at(2026, 9, 20, 9), "1")
    with travel(datetime.date(2026, 9, 20), hour=10):
        mark(l7, actor, {late: "present", a1: "absent"})
    close(l7, actor)
    l5 = lesson(a, at(2026, 10, 10, 9), "2")
    with travel(datetime.date(2026, 10, 1)):
        Attendance.objects.filter(lesson=l5, member=a1).update(status="present")
        lesson_cancel(lesson=l5, actor=actor, reason="改期")
    l3 = lesson(a, at(2026, 12, 31, 23), "1", published_on=datetime.date(2026, 12, 1))
    with travel(datetime.date(2026, 12, 20)):
        member_transfer(member=t2, to_branch=c, on=datetime.date(2026, 12, 31), actor=actor)
    with time_machine.travel(at(2026, 12, 31, 23, 20), tick=False):
        mark(l3, actor, {a1: "present"})
    close(l3, actor)
    l4 = lesson(a, at(2027, 1, 1, 0, 30), "1")
    with time_machine.travel(at(2027, 1, 1, 0, 40), tick=False):
        mark(l4, actor, {a1: "present"})
    close(l4, actor)
    passed_note(a1, actor, datetime.date(2026, 4, 2), "2", returned_first=True)
    with travel(datetime.date(2026, 5, 5)):
        note_save(
            note=None,
            member=a1,
            data={
                "title": "草稿",
                "body": "未完成",
                "study_date": datetime.date(2026, 5, 5),
                "hours": D("1"),
                "kind": "note",
            },
            actor=a1.user,
        )
    with travel(datetime.date(2026, 8, 8)):
        waiting = note_save(
            note=None,
            member=b1,
            data={
                "title": "学习笔记",
                "body": "学习党章的体会。" * 5,
                "study_date": datetime.date(2026, 8, 8),
                "hours": D("1"),
                "kind": "note",
            },
            actor=b1.user,
        )
        note_submit(note=waiting, actor=b1.user)
    csv = (
        "身份证号,姓名,学习日期,课程名称,学时\n"
        f"{a1.id_number},{a1.full_name},2026-02-02,党史专题,3\n"
        f"{sec.id_number},{sec.full_name},2026-10-10,党章专题,4\n"
    ).encode()
    with travel(datetime.date(2026, 11, 1)):
        for _ in range(2):
            online_hours_import(io.BytesIO(csv), filename="platform.csv", actor=actor)
    with travel(datetime.date(2027, 1, 5)):
        new = person("新二", a, joined_party_on=datetime.date(2027, 1, 5), full_member_on=None)
    with time_machine.travel(at(2027, 1, 15, 12), tick=False):
        figures_refresh()
    return locals()


def figures(member) -> MemberYearFigures:
    return MemberYearFigures.objects.get(member=member, year=YEAR)


# Hand counts from the story: (lessons in the audience, attended, centralised, self-study, online).
EXPECTED = {
    "a1": (4, 3, "5", "2", "3"),  # L1, L6, L7 (absent), L3; L5 cancelled and L4 in 2027 not counted
    "a2": (4, 1, "0", "2", "0"),  # L1 on leave with make-up done counts as attended, no hours
    "sec": (4, 1, "2", "0", "4"),
    "b1": (2, 1, "3", "0", "0"),  # L1 absent, L2 present
    "t1": (3, 2, "5", "0", "0"),  # L1 and L6 in A, L2 in B
    "t2": (3, 0, "0", "0", "0"),  # L1, L6, L7; not L3 (in C that day)
    "d1": (1, 1, "2", "0", "0"),  # invited by name to L1
    "late": (2, 1, "1", "0", "0"),  # joined 1 Sep: L7 and L3 only
    "c1": (0, 0, "0", "0", "0"),
}


def test_member_rows_are_exact_and_only_for_members_at_the_year_end(story):
    rows = {row.member_id: row for row in MemberYearFigures.objects.filter(year=YEAR)}
    assert set(rows) == {story[name].pk for name in EXPECTED}  # not dead, left or new
    for name, (total, attended, centralised, self_study, online) in EXPECTED.items():
        row = rows[story[name].pk]
        assert (row.lessons_total, row.lessons_attended) == (total, attended), name
        assert (row.centralised_hours, row.self_study_hours, row.online_hours) == (
            D(centralised),
            D(self_study),
            D(online),
        ), name
        assert row.total_hours == D(centralised) + D(self_study) + D(online), name
    assert figures(story["c1"]).attendance_rate is None  # nothing to count is no figure
    assert figures(story["a1"]).attendance_rate == D("0.75")
    assert [figures(story[n]).branch_id for n in ("t1", "t2", "d1")] == [story["b"].pk, story["c"].pk, story["d"].pk]
    assert figures(story["a1"]).notes_submitted == 1 and figures(story["a1"]).notes_passed == 1
    assert figures(story["a1"]).notes_draft == 1
    assert figures(story["b1"]).notes_waiting == 1 and figures(story["b1"]).notes_passed == 0
    assert OnlineStudyRecord.objects.count() == 2  # imported twice, stored once


def test_year_end_rows_follow_the_ledger_and_leave_out_who_left(story):
    rows = YearEndAssessment.objects.filter(year=YEAR)
    assert set(rows.values_list("member_id", flat=True)) == {story[name].pk for name in EXPECTED}
    assert not rows.filter(member__in=[story["dead"], story["left"]]).exists()
    c1 = rows.get(member=story["c1"])
    assert c1.attendance_rate is None
    # No lessons earns no attendance points (the scheme's default weight is 30).
    a1 = rows.get(member=story["a1"])
    assert c1.score < a1.score


def test_a_past_year_uses_that_years_posts_and_members(story):
    # sec's committee post ended on 10 January 2027: 2026 still needs 56 hours.
    assert figures(story["sec"]).required_hours == D("56")
    with time_machine.travel(at(2027, 1, 15, 12), tick=False):
        assert member_progress(story["sec"], YEAR).requirement == D("56")
        names = [row.member.full_name for row in branch_progress(story["a"], YEAR)]
    assert sorted(names) == sorted(["甲一", "甲二", "甲书记", "新一"])  # not t1, t2, dead, left or new (2027)


def test_closing_a_lesson_leaves_out_who_was_not_a_member_that_day(story):
    l6, l3 = story["l6"], story["l3"]
    assert not Attendance.objects.filter(lesson=l6, member=story["dead"]).exists()
    assert not Attendance.objects.filter(lesson=l3, member=story["t2"]).exists()
    assert not Attendance.objects.filter(lesson=story["l7"], member=story["t1"]).exists()
    make_up = Assignment.objects.get(lesson=l6, kind="make_up")
    assert story["dead"].pk not in set(make_up.targets.values_list("member_id", flat=True))


# Month rows by the branch on the lesson day: (branch, month) -> (lessons held, rows, attended).
MONTHS = {
    ("a", 3): (1, 7, 5),  # L1: a1, a2, sec, t1, t2, dead, left; attended a1, a2 (make-up), sec, t1, dead
    ("b", 3): (1, 1, 0),  # L1 co-hosted: b1 absent
    ("d", 3): (0, 1, 1),  # d1 invited by name, counted in D
    ("a", 6): (1, 5, 1),
    ("a", 9): (1, 5, 1),  # L7
    ("b", 9): (1, 2, 2),  # L2: b1 and t1, now in B
    ("a", 12): (1, 4, 1),  # L3 without t2
}


def test_dashboard_cards_and_trends_agree_and_count_by_the_day(story):
    a, b, d = story["a"], story["b"], story["d"]
    bureau = dashboard(YEAR, today=TODAY)
    rows = {row.branch.pk: row for row in bureau.rows}
    for key, branch in (("a", a), ("b", b), ("d", d)):
        wanted = [MONTHS.get((key, m), (0, 0, 0)) for m in range(1, 13)]
        one = dashboard(YEAR, branch_ids=[branch.pk], today=TODAY)
        assert [(m.lessons, m.rows, m.attended) for m in one.months] == wanted, key
        card = rows[branch.pk]
        assert (card.lessons_held, card.attendance_rows, card.attended) == tuple(map(sum, zip(*wanted, strict=True)))
    assert (rows[a.pk].members, rows[b.pk].members, rows[story["c"].pk].members, rows[d.pk].members) == (4, 2, 2, 1)
    trend = [(m.lessons, m.rows, m.attended) for m in bureau.months]
    assert trend[2] == (1, 9, 6) and trend[5] == (1, 5, 1) and trend[8] == (2, 7, 3) and trend[11] == (1, 4, 1)
    assert bureau.lessons_held == 5
    assert bureau.attendance_rate == round(11 / 25, 4)
    assert sum(m.rows for m in bureau.months) == 25
    assert bureau.members == len(EXPECTED)
    assert bureau.notes_submitted == 3 and bureau.notes_passed == 2  # a1's, a2's make-up, b1's waiting
    member_table = member_rows(a.pk, YEAR)
    assert {row.member_id for row in member_table} == {story[n].pk for n in ("a1", "a2", "sec", "late")}


def test_reconciliation_finds_no_difference(story):
    assert reconcile_year(YEAR, today=TODAY) == []


def test_reconciliation_reports_and_repairs_a_wrong_figure(story):
    from training.services.reconcile import reconcile_figures

    MemberYearFigures.objects.filter(member=story["a1"], year=YEAR).update(centralised_hours=D("99"))
    differences = reconcile_year(YEAR, today=TODAY)
    assert [(d.figure, d.ledger, d.recomputed) for d in differences if d.figure == "centralised_hours"] == [
        ("centralised_hours", D("99"), D("5"))
    ]
    with time_machine.travel(at(2027, 1, 15, 12), tick=False):
        reconcile_figures(YEAR, fix=True, notify=True)
        assert reconcile_year(YEAR, today=TODAY) == []
    assert figures(story["a1"]).centralised_hours == D("5")


def test_every_change_marks_and_one_refresh_clears_them(story, admin_user):
    assert not StaleFigures.objects.exists()
    with travel(datetime.date(2027, 1, 16)):
        note = passed_note(story["c1"], admin_user, datetime.date(2026, 12, 1), "1.5")
        assert StaleFigures.objects.filter(member=story["c1"], year=YEAR).exists()
        figures_refresh()
    note.refresh_from_db()
    assert note.status == "passed"
    assert figures(story["c1"]).self_study_hours == D("1.5")
    assert not StaleFigures.objects.exists()
    assert reconcile_year(YEAR, today=datetime.date(2027, 1, 16)) == []


def test_dashboard_page_says_when_figures_were_computed_and_what_is_pending(client, story, leader):
    client.force_login(leader)
    response = client.get(reverse("assessments:dashboard"), {"year": YEAR})
    assert response.status_code == 200
    assert 'id="figures-freshness" data-pending="false"' in response.content.decode()
    Post.objects.filter(member=story["sec"]).update(end_on=datetime.date(2026, 12, 1))
    StaleFigures.objects.create(year=YEAR, member=story["sec"])
    response = client.get(reverse("assessments:dashboard"), {"year": YEAR})
    assert 'data-pending="true"' in response.content.decode()


def test_export_cells_and_chart_series_are_the_same_figures(story):
    from openpyxl import load_workbook

    from assessments.exports.dashboard import dashboard_xlsx
    from assessments.selectors.charts import chart_data

    c = story["c"]
    one = dashboard(YEAR, branch_ids=[c.pk], today=TODAY)
    book = load_workbook(io.BytesIO(dashboard_xlsx(one, members=member_rows(c.pk, YEAR))))
    members = {row[0]: row for row in book["党员"].iter_rows(min_row=2, values_only=True)}
    assert members["丙一"][1] == "—"  # no lesson to attend: no rate
    assert members["调二"][1] == 0.0 and members["调二"][7] == 0  # three lessons, none attended
    bureau = dashboard(YEAR, today=TODAY)
    book = load_workbook(io.BytesIO(dashboard_xlsx(bureau)))
    trend = [row[:4] for row in book["月度趋势"].iter_rows(min_row=2, values_only=True)]
    assert trend[2] == (3, 1, 9, 6) and trend[8] == (9, 2, 7, 3) and trend[11] == (12, 1, 4, 1)
    key = dict(book["主要指标"].iter_rows(min_row=2, values_only=True))
    assert (key["党员"], key["已举办场次"], key["平均出勤率"]) == (len(EXPECTED), 5, round(11 / 25, 4))
    series = chart_data(bureau)
    assert series["lessons"] == [0, 0, 1, 0, 0, 1, 0, 0, 2, 0, 0, 1]
    assert series["attendance"][2] == round(6 / 9 * 100, 1) and series["attendance"][0] is None
    # Hour bands against each member's requirement (32, or 56 for sec): counted from EXPECTED.
    totals = {n: sum(D(v) for v in EXPECTED[n][2:]) for n in EXPECTED}
    required = {n: D("56") if n == "sec" else D("32") for n in EXPECTED}
    bands = [0, 0, 0, 0, 0]
    for n, total in totals.items():
        share = total / required[n]
        bands[
            0 if share < D("0.25") else 1 if share < D("0.5") else 2 if share < D("0.75") else 3 if share < 1 else 4
        ] += 1
    assert series["hours_values"] == bands
