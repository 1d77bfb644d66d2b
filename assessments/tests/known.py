"""The known data set the figure, dashboard and report tests count by hand.

The data set (year 2026, Asia/Shanghai):
- Branch A: 张三 (member), 书记甲 (secretary, committee); branch B: 李四 (outsider).
- 王五 moved from A to B on 2026-07-01.
- L1, 2026-03-10, A organises, B accepted as co-host (a joint lesson), 2 credit hours:
  张三 present, 书记甲 late, 李四 on leave with make-up done, 王五 absent.
- L2, 2026-09-15, B organises, 3 credit hours: 李四 present, 王五 present.
- L3, 2026-12-31 23:00 local, A organises, 1 credit hour: 张三 present, 书记甲 on leave without make-up.
- L4, 2027-01-01 00:30 local (still 2026 in UTC), A organises, 1 hour: 张三 present — not in 2026.
- L5, 2026-05-01, A organises, published but never held: 张三 row unmarked — not counted.
"""

import datetime
from decimal import Decimal

import time_machine

from assessments.models import CheckupReport, RectificationItem, SupervisionVisit
from assessments.services.indicators import indicators_recompute
from assessments.services.reports import report_compile
from members.models import Member, Membership
from members.tests.factories import MemberFactory
from training.models import (
    Assignment,
    AssignmentTarget,
    Attendance,
    Lesson,
    LessonHost,
    OnlineStudyRecord,
    StudyNote,
    StudyPlan,
    StudyPlanItem,
)
from training.tests.factories import LessonFactory, at

TODAY = datetime.date(2027, 1, 15)
YEAR = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
# TODAY (2027-01-15) at noon in Asia/Shanghai, for the code that asks the clock.
NOW = datetime.datetime(2027, 1, 15, 4, 0, tzinfo=datetime.UTC)


def build_known(branch_a, branch_b, secretary, member, outsider) -> dict:
    zhang, secretary_m, li = (Member.objects.get(user=u) for u in (member, secretary, outsider))
    wang = MemberFactory(branch=branch_a, full_name="王五", joined_party_on=datetime.date(2001, 7, 1))
    Membership.objects.filter(member=wang).update(end_on=datetime.date(2026, 6, 30))
    Membership.objects.create(member=wang, branch=branch_b, start_on=datetime.date(2026, 7, 1))
    Member.objects.filter(pk=wang.pk).update(branch=branch_b)

    def lesson(organiser, start, hours, status="held"):
        return LessonFactory(
            organiser=organiser,
            start=start,
            end=start + datetime.timedelta(hours=1),
            credit_hours=Decimal(hours),
            status=status,
        )

    def mark(lesson, who, status, checked=True):
        Attendance.objects.create(
            lesson=lesson,
            member=who,
            status=status,
            checked_in_at=lesson.start if checked and status in ("present", "late") else None,
        )

    l1 = lesson(branch_a, at(2026, 3, 10, 9), 2)
    LessonHost.objects.create(lesson=l1, branch=branch_b, status="accepted")
    mark(l1, zhang, "present")
    mark(l1, secretary_m, "late")
    mark(l1, li, "leave")
    mark(l1, wang, "absent")
    make_up = Assignment.objects.create(title="补学", kind="make_up", lesson=l1, due_on=datetime.date(2026, 4, 10))
    AssignmentTarget.objects.create(assignment=make_up, member=li, status="done", completed_at=at(2026, 4, 1, 10))
    AssignmentTarget.objects.create(assignment=make_up, member=wang, status="open")
    l2 = lesson(branch_b, at(2026, 9, 15, 14), 3)
    mark(l2, li, "present")
    mark(l2, wang, "present")
    l3 = lesson(branch_a, at(2026, 12, 31, 23), 1)
    mark(l3, zhang, "present")
    mark(l3, secretary_m, "leave")
    l4 = lesson(branch_a, at(2027, 1, 1, 0, 30), 1)
    mark(l4, zhang, "present")
    l5 = lesson(branch_a, at(2026, 5, 1, 9), 4, status="published")
    mark(l5, zhang, "unmarked", checked=False)
    StudyNote.objects.create(
        member=zhang,
        title="a",
        body="x",
        study_date=datetime.date(2026, 6, 1),
        hours=3,
        status="passed",
        grade="excellent",
    )
    StudyNote.objects.create(
        member=zhang, title="b", body="y", study_date=datetime.date(2026, 6, 2), hours=2, status="submitted"
    )
    OnlineStudyRecord.objects.create(member=li, study_date=datetime.date(2026, 8, 8), course="c", hours=Decimal("30"))
    indicators_recompute(2026, today=TODAY)
    return {"zhang": zhang, "secretary": secretary_m, "li": li, "wang": wang, "a": branch_a, "b": branch_b}


def build_report_data(base: dict) -> dict:
    """The known data set plus a study plan and two supervision visits, for the checkup reports."""
    a, b = base["a"], base["b"]
    plan = StudyPlan.objects.create(branch=a, year=2026)
    march = StudyPlanItem.objects.create(plan=plan, month=3, topic="党章", kind="lecture", planned_hours=2)
    StudyPlanItem.objects.create(plan=plan, month=5, topic="党史", kind="lecture", planned_hours=2)
    december = StudyPlanItem.objects.create(plan=plan, month=12, topic="总结", kind="lecture", planned_hours=1)
    Lesson.objects.filter(start=at(2026, 3, 10, 9)).update(plan_item=march)
    Lesson.objects.filter(start=at(2026, 12, 31, 23)).update(plan_item=december)
    StudyNote.objects.filter(member=base["zhang"], status="passed").update(reviewed_at=at(2026, 6, 5, 10))
    visit_a = SupervisionVisit.objects.create(
        branch=a, visited_on=datetime.date(2026, 3, 5), inspectors="王检查", findings="学习记录不完整"
    )
    RectificationItem.objects.create(
        visit=visit_a, description="补齐学习记录", owner="书记甲", deadline=datetime.date(2026, 4, 1)
    )
    RectificationItem.objects.create(
        visit=visit_a,
        description="完善签到表",
        owner="书记甲",
        deadline=datetime.date(2026, 3, 20),
        status="done",
        completed_on=datetime.date(2026, 3, 18),
    )
    visit_b = SupervisionVisit.objects.create(
        branch=b, visited_on=datetime.date(2026, 9, 1), inspectors="李督导", findings="三会一课记录缺失"
    )
    RectificationItem.objects.create(
        visit=visit_b,
        description="补开组织生活会",
        owner="李四",
        deadline=datetime.date(2027, 2, 1),
        status="in_progress",
    )
    indicators_recompute(2026, today=TODAY)  # the rows above were written past the services
    return base


def compiled(period, start, end, branch=None) -> CheckupReport:
    report = CheckupReport.objects.create(period=period, period_start=start, period_end=end, branch=branch)
    with time_machine.travel(NOW, tick=False):
        assert report_compile(report.pk) == "done", CheckupReport.objects.get(pk=report.pk).error
    report.refresh_from_db()
    return report
