import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.tests.factories import BranchFactory
from core.models import AuditEntry
from training.models import Lesson, LessonHost, MeetingRule, StudyPlan, StudyPlanItem, StudyRequirement
from training.rules import meeting_rules, study_requirement_for
from training.selectors.plans import (
    branch_training_panel,
    meeting_compliance,
    meeting_compliance_counts,
    meeting_compliance_for_branches,
    plan_vs_actual,
)
from training.services.plans import meeting_rules_update, plan_item_add, study_plan_get_or_create
from training.tests.factories import LessonFactory, at

pytestmark = pytest.mark.django_db

MAY_15 = datetime.date(2026, 5, 15)
HELD = Lesson.Status.HELD


def lesson(branch, start, *, kind=Lesson.Kind.CENTRAL_STUDY, status=HELD, hours="2", plan_item=None, title=None):
    extra = {"title": title} if title else {}
    return LessonFactory(
        organiser=branch,
        kind=kind,
        start=start,
        end=start + datetime.timedelta(hours=2),
        status=status,
        credit_hours=Decimal(hours),
        plan_item=plan_item,
        **extra,
    )


def co_host(lesson_, branch, status=LessonHost.Status.ACCEPTED):
    return LessonHost.objects.create(lesson=lesson_, branch=branch, status=status)


def plan_with_items(branch, year=2026, n=2):
    plan = StudyPlan.objects.create(branch=branch, year=year)
    items = [
        StudyPlanItem.objects.create(
            plan=plan, month=(i % 12) + 1, topic=f"专题{i}", kind="central_study", planned_hours=Decimal("2")
        )
        for i in range(n)
    ]
    return plan, items


def row_for(compliance, kind):
    return next(row for row in compliance.rows if row.kind == kind)


# --- plan versus actual ----------------------------------------------------


def test_plan_vs_actual_counts_held_linked_and_unplanned_lessons(branch_a, branch_b):
    plan = StudyPlan.objects.create(branch=branch_a, year=2026)
    first = StudyPlanItem.objects.create(plan=plan, month=3, topic="党章学习", kind="central_study", planned_hours=4)
    second = StudyPlanItem.objects.create(plan=plan, month=6, topic="党史学习", kind="party_lesson", planned_hours=2)
    lesson(branch_a, at(2026, 3, 10), plan_item=first, hours="2")
    lesson(branch_a, at(2026, 6, 10), plan_item=second, status=Lesson.Status.PUBLISHED)
    lesson(branch_a, at(2026, 6, 11), plan_item=second, status=Lesson.Status.CANCELLED)
    unplanned = lesson(branch_a, at(2026, 4, 2), hours="3", title="红色电影")
    lesson(branch_a, at(2025, 12, 31, 23, 30), hours="5")  # the previous year, local time
    lesson(branch_b, at(2026, 4, 2), hours="7")  # another branch's lesson

    result = plan_vs_actual(branch_a, 2026)

    by_pk = {item.pk: item for item in result.items}
    assert (by_pk[first.pk].held_count, by_pk[first.pk].held_hours) == (1, Decimal("2"))
    assert (by_pk[second.pk].held_count, by_pk[second.pk].held_hours) == (0, Decimal("0"))
    assert (result.planned_items, result.done_items, result.completion_rate) == (2, 1, 50)
    assert result.planned_hours == Decimal("6")
    assert result.actual_hours == Decimal("5")
    assert result.unplanned_hours == Decimal("3")
    assert result.planned_actual_hours == Decimal("2")
    assert [lesson_.pk for lesson_ in result.unplanned] == [unplanned.pk]


def test_plan_vs_actual_without_a_plan_counts_every_held_lesson_as_unplanned(branch_a):
    held = lesson(branch_a, at(2026, 2, 1), hours="1.5")
    result = plan_vs_actual(branch_a, 2026)
    assert result.plan is None and result.items == []
    assert result.completion_rate is None
    assert result.actual_hours == result.unplanned_hours == Decimal("1.5")
    assert [lesson_.pk for lesson_ in result.unplanned] == [held.pk]


def test_joint_lesson_hours_count_for_an_accepted_co_host_as_unplanned(branch_a, branch_b):
    plan, (item,) = plan_with_items(branch_a, n=1)
    joint = lesson(branch_a, at(2026, 3, 1), plan_item=item, hours="2")
    co_host(joint, branch_b)
    study_plan_get_or_create(branch=branch_b, year=2026)
    result_b = plan_vs_actual(branch_b, 2026)
    assert result_b.actual_hours == result_b.unplanned_hours == Decimal("2")
    assert plan_vs_actual(branch_a, 2026).unplanned_hours == Decimal("0")


# --- compliance ------------------------------------------------------------


def test_compliance_counts_joint_lesson_for_organiser_and_accepted_co_host_only(branch_a, branch_b, committee):
    branch_c = BranchFactory(parent=committee)
    joint = lesson(branch_a, at(2026, 4, 20), kind=Lesson.Kind.PARTY_LESSON)
    co_host(joint, branch_b, LessonHost.Status.ACCEPTED)
    co_host(joint, branch_c, LessonHost.Status.DECLINED)

    result = meeting_compliance_for_branches([branch_a.pk, branch_b.pk, branch_c.pk], 2026, MAY_15)

    assert row_for(result[branch_a.pk], "party_lesson").held == 1
    assert row_for(result[branch_b.pk], "party_lesson").held == 1
    assert row_for(result[branch_c.pk], "party_lesson").held == 0


def test_compliance_requirements_on_may_15(branch_a):
    result = meeting_compliance(branch_a, 2026, MAY_15)
    assert (result.months_elapsed, result.quarters_elapsed) == (5, 2)
    required = {row.kind: row.required for row in result.rows}
    assert required == {
        "committee_meeting": 5,
        "group_meeting": 5,
        "theme_day": 5,
        "members_meeting": 2,
        "party_lesson": 2,
        "org_life_meeting": 1,
    }
    assert [p.number for p in row_for(result, "committee_meeting").periods] == [1, 2, 3, 4, 5]
    assert [p.number for p in row_for(result, "party_lesson").periods] == [1, 2]
    assert row_for(result, "committee_meeting").trailing_span == 7


def test_compliance_counts_only_held_lessons_up_to_the_day(branch_a):
    kind = Lesson.Kind.COMMITTEE_MEETING
    for month in (1, 2, 3, 4):
        lesson(branch_a, at(2026, month, 5), kind=kind)
    lesson(branch_a, at(2026, 1, 1, 0, 30), kind=kind)  # 31 December in UTC
    lesson(branch_a, at(2026, 5, 15, 20, 0), kind=kind)  # the evening of the day counts
    lesson(branch_a, at(2026, 5, 16), kind=kind)  # after the day
    lesson(branch_a, at(2026, 5, 6), kind=kind, status=Lesson.Status.PUBLISHED)
    lesson(branch_a, at(2026, 5, 7), kind=kind, status=Lesson.Status.CANCELLED)
    lesson(branch_a, at(2026, 2, 10), kind=Lesson.Kind.MEMBERS_MEETING)

    result = meeting_compliance(branch_a, 2026, MAY_15)

    committee = row_for(result, "committee_meeting")
    assert (committee.required, committee.held, committee.ok) == (5, 6, True)
    assert [(p.number, p.held, p.ok) for p in committee.periods] == [
        (1, 2, True),
        (2, 1, True),
        (3, 1, True),
        (4, 1, True),
        (5, 1, True),
    ]
    members = row_for(result, "members_meeting")
    assert (members.required, members.held, members.ok, members.missing) == (2, 1, False, 1)
    assert [(p.number, p.held, p.ok) for p in members.periods] == [(1, 1, True), (2, 0, False)]
    assert result.ok is False
    # The dashboards' count (rules met, rules) is the same judgement without the detail.
    met = sum(1 for row in result.rows if row.ok)
    assert meeting_compliance_counts([branch_a.pk], 2026, MAY_15) == {branch_a.pk: (met, len(result.rows))}
    assert met == 1 + sum(1 for row in result.rows if row.required == 0)


def test_compliance_for_a_past_year_covers_the_whole_year_and_a_future_year_nothing(branch_a):
    past = meeting_compliance(branch_a, 2025, MAY_15)
    assert row_for(past, "committee_meeting").required == 12
    assert row_for(past, "party_lesson").required == 4
    future = meeting_compliance(branch_a, 2027, MAY_15)
    assert all(row.required == 0 and row.ok for row in future.rows)


@time_machine.travel(datetime.datetime(2026, 5, 15, 1, 0, tzinfo=datetime.UTC), tick=False)
def test_compliance_defaults_to_the_local_date(branch_a):
    assert meeting_compliance(branch_a, 2026).on == MAY_15


def test_editing_rules_changes_the_requirement(branch_a, leader):
    assert row_for(meeting_compliance(branch_a, 2026, MAY_15), "party_lesson").required == 2
    rows = [{"kind": r.kind, "period": r.period, "times": r.times} for r in meeting_rules()]
    for row in rows:
        if row["kind"] == "party_lesson":
            row.update(period=MeetingRule.Period.MONTH, times=2)
    rows = [row for row in rows if row["kind"] != "org_life_meeting"]

    meeting_rules_update(rows=rows, actor=leader)

    result = meeting_compliance(branch_a, 2026, MAY_15)
    assert row_for(result, "party_lesson").required == 10
    assert "org_life_meeting" not in {row.kind for row in result.rows}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"meeting_rule.updated", "meeting_rule.deleted"} <= actions


def test_meeting_rules_update_refuses_duplicates(leader):
    rows = [{"kind": "theme_day", "period": "month", "times": 1}] * 2
    with pytest.raises(Exception) as excinfo:
        meeting_rules_update(rows=rows, actor=leader)
    assert excinfo.value.code == "duplicate_kind"


def test_compliance_for_branches_runs_a_fixed_number_of_queries(committee, django_assert_num_queries):
    meeting_rules()  # create the default rules outside the budget

    def run(n):
        branches = BranchFactory.create_batch(n, parent=committee)
        for branch in branches:
            lesson(branch, at(2026, 3, 3), kind=Lesson.Kind.THEME_DAY)
            lesson(branch, at(2026, 4, 3), kind=Lesson.Kind.PARTY_LESSON)
        with django_assert_num_queries(2):
            result = meeting_compliance_for_branches([b.pk for b in branches], 2026, MAY_15)
        assert len(result) == n
        assert all(row_for(c, "theme_day").held == 1 for c in result.values())

    run(2)
    run(10)


def test_plan_item_add_refuses_zero_hours(branch_a, secretary):
    plan = study_plan_get_or_create(branch=branch_a, year=2026)
    with pytest.raises(Exception) as excinfo:
        plan_item_add(
            plan=plan, data={"month": 1, "topic": "x", "kind": "seminar", "planned_hours": 0}, actor=secretary
        )
    assert excinfo.value.error_dict["planned_hours"][0].code == "hours_not_positive"


def test_branch_training_panel_combines_plan_and_compliance(branch_a):
    plan_with_items(branch_a, n=3)
    panel = branch_training_panel(branch_a, 2026, MAY_15)
    assert panel.plan.planned_items == 3
    assert panel.compliance.on == MAY_15


# --- views -----------------------------------------------------------------


def detail_url(branch, year=2026):
    return reverse("plans:plan_detail", args=[branch.pk, year])


def add_url(branch, year=2026):
    return reverse("plans:plan_item_add", args=[branch.pk, year])


ITEM = {"month": "4", "topic": "学习党的二十大精神", "kind": "central_study", "planned_hours": "3"}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 200), ("secretary", 200), ("outsider", 404), ("leader", 200), ("admin", 200)],
)
def test_plan_detail_access(client, personas, branch_a, persona, status):
    client.force_login(personas[persona])
    assert client.get(detail_url(branch_a)).status_code == status


def test_anonymous_is_sent_to_login(client, branch_a):
    response = client.get(detail_url(branch_a))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("outsider", 404), ("leader", 403), ("admin", 403)],
)
def test_only_the_branch_committee_adds_plan_items(client, personas, branch_a, persona, status):
    client.force_login(personas[persona])
    assert client.post(add_url(branch_a), ITEM).status_code == status
    assert not StudyPlanItem.objects.exists()


def test_secretary_adds_and_deletes_a_plan_item(client, secretary, branch_a):
    client.force_login(secretary)
    response = client.post(add_url(branch_a), ITEM)
    assert response.status_code == 302 and response["Location"] == detail_url(branch_a)
    item = StudyPlanItem.objects.get()
    assert (item.plan.branch_id, item.plan.year, item.month, item.planned_hours) == (branch_a.pk, 2026, 4, 3)

    page = client.get(detail_url(branch_a))
    assert page.context["can_edit"] is True
    assert "学习党的二十大精神" in page.content.decode()

    response = client.post(reverse("plans:plan_item_delete", args=[item.pk]))
    assert response.status_code == 302
    assert not StudyPlanItem.objects.exists()
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "study_plan.created",
        "study_plan_item.added",
        "study_plan_item.deleted",
    }


def test_bad_plan_item_is_shown_again_with_errors(client, secretary, branch_a):
    client.force_login(secretary)
    response = client.post(add_url(branch_a), {**ITEM, "month": "13", "planned_hours": "0"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"month", "planned_hours"}
    assert not StudyPlan.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("member", 403), ("outsider", 404), ("leader", 403)])
def test_only_the_branch_committee_deletes_plan_items(client, personas, branch_a, persona, status):
    _plan, (item,) = plan_with_items(branch_a, n=1)
    client.force_login(personas[persona])
    assert client.post(reverse("plans:plan_item_delete", args=[item.pk])).status_code == status
    assert StudyPlanItem.objects.filter(pk=item.pk).exists()


def test_secretary_cannot_delete_another_branchs_item(client, secretary, branch_b):
    _plan, (item,) = plan_with_items(branch_b, n=1)
    client.force_login(secretary)
    assert client.post(reverse("plans:plan_item_delete", args=[item.pk])).status_code == 404


def test_plan_item_urls_refuse_get(client, secretary, branch_a):
    client.force_login(secretary)
    assert client.get(add_url(branch_a)).status_code == 405


def test_member_sees_no_edit_form(client, member, branch_a):
    client.force_login(member)
    response = client.get(detail_url(branch_a))
    assert response.context["can_edit"] is False
    assert add_url(branch_a) not in response.content.decode()


def test_plan_detail_page_has_no_inline_style_or_script(client, secretary, branch_a):
    plan_with_items(branch_a, n=2)
    client.force_login(secretary)
    html = client.get(detail_url(branch_a)).content.decode()
    assert " style=" not in html and "<script>" not in html


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_plan_detail_query_count_does_not_grow_with_items(client, secretary, branch_a, branch_b):
    meeting_rules()
    client.force_login(secretary)
    plan, items = plan_with_items(branch_a, n=2)
    for item in items:
        lesson(branch_a, at(2026, item.month, 3), plan_item=item)
    lesson(branch_a, at(2026, 2, 2), kind=Lesson.Kind.THEME_DAY)
    client.get(detail_url(branch_a))  # warm the session
    small = _count_queries(client, detail_url(branch_a))

    for i in range(18):
        item = StudyPlanItem.objects.create(plan=plan, month=(i % 12) + 1, topic=f"专题{i}", kind="seminar")
        joint = lesson(branch_b, at(2026, item.month, 20), plan_item=item, kind=Lesson.Kind.PARTY_LESSON)
        co_host(joint, branch_a)
        lesson(branch_a, at(2026, item.month, 21), kind=Lesson.Kind.COMMITTEE_MEETING)
    assert plan.items.count() == 20

    assert _count_queries(client, detail_url(branch_a)) == small


# --- rules -----------------------------------------------------------------


def rules_post_data(year=2026, **requirement):
    values = {
        "member_hours": "32",
        "committee_hours": "56",
        "full_day_hours": "8",
        "half_day_hours": "4",
        "session_hours_per_hour": "1",
        "full_day_minimum": "6",
        "half_day_minimum": "3",
        "note_max_hours": "4",
        "daily_max_hours": "8",
        **requirement,
    }
    data = {f"requirement-{key}": value for key, value in values.items()}
    rules = meeting_rules()
    data.update(
        {
            "rules-TOTAL_FORMS": str(len(rules) + 1),
            "rules-INITIAL_FORMS": str(len(rules)),
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
        }
    )
    for index, rule in enumerate(rules):
        data.update(
            {
                f"rules-{index}-kind": rule.kind,
                f"rules-{index}-period": rule.period,
                f"rules-{index}-times": str(rule.times),
            }
        )
    data.update({f"rules-{len(rules)}-kind": "", f"rules-{len(rules)}-period": "", f"rules-{len(rules)}-times": "1"})
    return data


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("secretary", 403), ("outsider", 403), ("leader", 200), ("admin", 200)],
)
def test_rules_edit_access(client, personas, persona, status):
    client.force_login(personas[persona])
    assert client.get(reverse("plans:rules_edit", args=[2026])).status_code == status


def test_secretary_cannot_post_rules(client, secretary):
    client.force_login(secretary)
    response = client.post(reverse("plans:rules_edit", args=[2026]), rules_post_data(member_hours="40"))
    assert response.status_code == 403
    assert study_requirement_for(2026).member_hours == 32


def test_leader_edits_requirement_and_rules(client, leader, branch_a):
    client.force_login(leader)
    data = rules_post_data(member_hours="40")
    party_lesson = next(k for k, v in data.items() if v == "party_lesson")
    data[party_lesson.replace("kind", "times")] = "2"
    data.update({"rules-6-kind": "seminar", "rules-6-period": "year", "rules-6-times": "3"})

    response = client.post(reverse("plans:rules_edit", args=[2026]), data)

    assert response.status_code == 302
    assert StudyRequirement.objects.get(year=2026).member_hours == 40
    result = meeting_compliance(branch_a, 2026, MAY_15)
    assert row_for(result, "party_lesson").required == 4
    assert row_for(result, "seminar").required == 3
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert actions == {"study_requirement.updated", "meeting_rule.updated", "meeting_rule.created"}


def test_bad_rules_input_is_shown_again_and_nothing_is_saved(client, leader):
    client.force_login(leader)
    data = rules_post_data(member_hours="40", half_day_minimum="7")
    data.update({"rules-6-kind": "theme_day", "rules-6-period": "month", "rules-6-times": "2"})

    response = client.post(reverse("plans:rules_edit", args=[2026]), data)

    assert response.status_code == 400
    assert "half_day_minimum" in response.context["form"].errors
    assert response.context["formset"].forms[6].errors["kind"]
    assert study_requirement_for(2026).member_hours == 32
    assert MeetingRule.objects.get(kind="theme_day").times == 1


def test_removing_a_rule_through_the_form(client, leader):
    client.force_login(leader)
    data = rules_post_data()
    index = next(k for k, v in data.items() if v == "org_life_meeting").split("-")[1]
    data[f"rules-{index}-DELETE"] = "on"
    assert client.post(reverse("plans:rules_edit", args=[2026]), data).status_code == 302
    assert not MeetingRule.objects.filter(kind="org_life_meeting").exists()
    assert MeetingRule.objects.count() == 5


def test_year_out_of_range_is_404(client, leader, branch_a):
    client.force_login(leader)
    assert client.get(reverse("plans:rules_edit", args=[1900])).status_code == 404
    assert client.get(detail_url(branch_a, 99999)).status_code == 404
