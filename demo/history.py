"""Demo history: last year and this year to date, so every dashboard, chart and report has figures.

Every branch holds its 三会一课 and other lessons month by month, members
attend, ask for leave, are absent and make up, write notes in every state,
study online; one joint lesson, a supervision visit, last year's results
evaluated, submitted and confirmed, and a compiled checkup report. The raw
records are written in bulk (seconds on SQLite), then the figures ledger is
recomputed through its service, so reconciliation finds no difference.
Runs once: a second run finds last year's organisational-life meeting and
changes nothing.
"""

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.models import CheckupReport, RectificationItem, SupervisionVisit, YearEndAssessment
from assessments.services.reports import report_request
from assessments.services.yearend import branch_confirm, branch_submit, branch_verdicts_save, self_summary_save
from branches.models import Branch, Venue
from demo.history_notes import seed_notes, seed_online
from demo.members import PARTY_GROUPS
from members.models import Member, Post
from training.models import (
    Assignment,
    AssignmentTarget,
    Attendance,
    Feedback,
    LeaveRequest,
    Lesson,
    LessonHost,
    OutsideLecturer,
    Question,
    StudyPlan,
    StudyPlanItem,
    StudyResource,
)
from training.rules import default_credit_hours, study_requirement_for
from training.services.figures import figures_recompute_year

SEED = 20261129
LEADER = "demo_leader"
# The branch whose results leadership has not confirmed yet: the dashboard
# then shows all three states.
UNCONFIRMED_BRANCH = "glyh"
# A branch that skips some Party-cell meetings, so 三会一课 compliance varies.
PATCHY_BRANCH = "zljd"

# (kind, title, hour, length in hours) held every month by every branch.
MONTHLY = (
    ("committee_meeting", "支委会：研究{month}月份支部工作", 15, 1),
    ("group_meeting", "党小组会：交流{month}月份学习体会", 16, 1),
    ("theme_day", "主题党日：{topic}", 9, 3),
)
THEME_DAY_TOPICS = (
    "重温入党誓词",
    "学雷锋志愿服务",
    "清明祭扫烈士陵园",
    "劳动最光荣：公路养护一线体验",
    "青年党员座谈",
    "七一建党节主题活动",
    "交通安全进社区",
    "廉政警示教育",
    "国防教育日",
    "国庆专题学习",
    "宪法宣传进站点",
    "年终总结与谈心谈话",
)
# One more lesson each month, of the other kinds, in turn.
ROTATING = (
    ("central_study", "集中学习：《中国共产党章程》第{n}章", 14, 2),
    ("expert_lecture", "专题辅导讲座：新时代交通强国建设", 9, 4),
    ("red_film", "红色电影：《觉醒年代》选集", 14, 3),
    ("book_sharing", "好书推介：《习近平的七年知青岁月》", 15, 2),
    ("seminar", "专题研讨：以案促改、以案促治", 9, 4),
    ("online_course", "网络学习：党纪学习教育专题课程", 14, 4),
    ("offsite_visit", "现场教学：云溪县革命纪念馆", 8, 8),
    ("central_group", "理论学习中心组（扩大）学习", 9, 4),
)
QUARTERLY = (
    # (months, kind, title, hour, length)
    ((1, 4, 7, 10), "party_lesson", "党课：{quarter}季度专题党课", 14, 2),
    ((3, 6, 9, 12), "members_meeting", "支部党员大会：第{quarter}季度", 15, 2),
)
ORG_LIFE_TITLE = "{year}年度组织生活会暨民主评议党员"
JOINT_TITLE = "联合党课：传承红色基因，争当交通先锋（{year}）"
RESOURCES = (
    ("book", "习近平的七年知青岁月", "中共中央党校出版社"),
    ("policy", "中国共产党纪律处分条例", "中共中央"),
    ("red_film", "觉醒年代", "央视"),
    ("online_course", "党纪学习教育专题课程", "学习强国"),
    ("article", "交通强国建设纲要", "中共中央、国务院"),
)
COMMENTS = ("讲得透彻，联系实际。", "希望多安排互动讨论。", "案例生动，很受启发。", "时间稍紧，可以再深入。", "")
QUESTIONS = (
    ("基层站所人员分散，怎样保证学习不走过场？", "可以按党小组就近组织，线上线下结合，书记每月抽查笔记。"),
    ("补学的内容和时长怎么认定？", "按所缺活动的学时补学，提交学习笔记并经支部审阅通过后计入。"),
)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _day_in(year: int, month: int, rng: random.Random, last: int = 26) -> datetime.date:
    return datetime.date(year, month, rng.randint(3, last))


@transaction.atomic
def seed_history(*, today: datetime.date | None = None) -> dict[str, int]:
    """Add last year's and this year's records to the demo branches, once; return what was made."""
    today = today or timezone.localdate()
    last_year = today.year - 1
    branches = list(Branch.objects.branches_only().active().order_by("sort_order", "code"))
    if not branches or Lesson.objects.filter(title=ORG_LIFE_TITLE.format(year=last_year)).exists():
        return {"lessons": 0}
    rng = random.Random(SEED)
    users = _actors(branches)
    members = defaultdict(list)
    for member in Member.objects.filter(branch__in=branches).select_related("user").order_by("name_pinyin", "pk"):
        members[member.branch_id].append(member)
    # A general branch whose members all sit in its branches holds no lessons of its own here.
    branches = [b for b in branches if members[b.pk]]
    diligence = {m.pk: rng.uniform(0.62, 0.98) for ms in members.values() for m in ms}
    resources = _resources(users["leader"])
    lessons = _lessons(branches, members, today, rng)
    attendance = _attendance(lessons, members, diligence, users, rng)
    _feedback(lessons, attendance, users, rng)
    assignments = _assignments(branches, members, resources, today, rng, users)
    _make_up(lessons, attendance, today, rng)
    seed_notes(branches, members, lessons, assignments, resources, today, rng, users, diligence)
    seed_online(members, today, rng, diligence)
    _supervision(branches, today)
    for year in (last_year, today.year):
        figures_recompute_year(year, today=today)
    _year_end(branches, members, last_year, users, rng)
    reports = _checkup_report(last_year, users["leader"])
    return {"lessons": len(lessons), "attendance": len(attendance), "reports": reports}


def _actors(branches) -> dict:
    User = get_user_model()
    secretaries = {
        p.branch_id: p.member.user
        for p in Post.objects.current()
        .filter(branch__in=branches, kind=Post.Kind.SECRETARY, member__user__isnull=False)
        .select_related("member__user")
    }
    return {"secretaries": secretaries, "leader": User.objects.filter(username=LEADER).first()}


def _resources(leader) -> list[StudyResource]:
    found = []
    for kind, title, author in RESOURCES:
        resource, _created = StudyResource.objects.get_or_create(
            title=title, defaults={"kind": kind, "author": author, "recommendation": "支部推荐学习。"}
        )
        found.append(resource)
    return found


def _lessons(branches, members, today, rng) -> list[Lesson]:
    """Create the held lessons, their hosts and plan items; return them with `audience_branches` set."""
    last_year = today.year - 1
    outside = OutsideLecturer.objects.filter(organisation="云溪县委党校").first()
    venues = {v.owner_id: v for v in Venue.objects.order_by("pk")}
    shared = Venue.objects.filter(is_shareable=True).order_by("pk").first()
    specs = []  # (branch, kind, title, start, length, co_host)
    for year in (last_year, today.year):
        for month in range(1, 13):
            for index, branch in enumerate(branches):
                for kind, title, hour, length in MONTHLY:
                    if kind == "group_meeting" and branch.code == PATCHY_BRANCH and month % 3 == 2:
                        continue
                    day = _day_in(year, month, rng)
                    words = {"month": month, "topic": THEME_DAY_TOPICS[month - 1]}
                    specs.append((branch, kind, title.format(**words), _at(day, hour), length, None))
                kind, title, hour, length = ROTATING[(month + index) % len(ROTATING)]
                specs.append(
                    (branch, kind, title.format(n=month % 11 + 1), _at(_day_in(year, month, rng), hour), length, None)
                )
                for months, kind, title, hour, length in QUARTERLY:
                    if month in months:
                        quarter = "一二三四"[(month - 1) // 3]
                        day = _day_in(year, month, rng)
                        specs.append((branch, kind, title.format(quarter=quarter), _at(day, hour), length, None))
        if len(branches) >= 2:
            day = datetime.date(year, 6, 28)
            specs.append((branches[0], "party_lesson", JOINT_TITLE.format(year=year), _at(day, 14), 2, branches[1]))
    for branch in branches:
        day = datetime.date(last_year, 12, 20)
        specs.append((branch, "org_life_meeting", ORG_LIFE_TITLE.format(year=last_year), _at(day, 9), 4, None))
    # Only the past is history; the upcoming lessons are seed_lessons' work.
    cutoff = _at(today - datetime.timedelta(days=2), 0)
    specs = [s for s in specs if s[3] < cutoff]
    plan_items = _plan_items(specs)
    rows = []
    for branch, kind, title, start, length, co_host in specs:
        requirement = study_requirement_for(start.year)
        end = start + datetime.timedelta(hours=length)
        field = kind == "offsite_visit"
        rows.append(
            Lesson(
                organiser=branch,
                title=title,
                kind=kind,
                format="field" if field else ("online" if kind == "online_course" else "lecture"),
                start=start,
                end=end,
                venue=None if field or kind == "online_course" else (shared if co_host else venues.get(branch.pk)),
                outside_place="云溪县革命纪念馆" if field else "",
                lecturer_outside=outside if kind in ("expert_lecture", "party_lesson") and co_host else None,
                credit_hours=default_credit_hours(kind=kind, start=start, end=end, requirement=requirement),
                status=Lesson.Status.HELD,
                plan_item=plan_items.get((branch.pk, start.year, start.month, kind)),
                party_group=PARTY_GROUPS[start.month % len(PARTY_GROUPS)] if kind == "group_meeting" else "",
                presenter="支部书记" if kind.endswith("meeting") else "",
                recorder="组织委员" if kind.endswith("meeting") else "",
            )
        )
    lessons = Lesson.objects.bulk_create(rows, batch_size=500)
    hosts = []
    for lesson, spec in zip(lessons, specs, strict=True):
        lesson.audience_branches = [spec[0].pk] + ([spec[5].pk] if spec[5] else [])
        hosts.append(LessonHost(lesson=lesson, branch=spec[0], is_organiser=True, status="accepted"))
        if spec[5]:
            hosts.append(LessonHost(lesson=lesson, branch=spec[5], status="accepted", responded_at=lesson.start))
    LessonHost.objects.bulk_create(hosts, batch_size=500)
    return lessons


def _plan_items(specs) -> dict:
    """Each branch's annual plan: an item for most lessons held, and a few that were not held."""
    keys = sorted(
        {(s[0].pk, s[3].year, s[3].month, s[1]) for s in specs if s[1] not in ("committee_meeting", "group_meeting")}
    )
    plans = {}
    for branch_id, year, _month, _kind in keys:
        if (branch_id, year) not in plans:
            plans[branch_id, year], _created = StudyPlan.objects.get_or_create(branch_id=branch_id, year=year)
    existing = {
        (item.plan.branch_id, item.plan.year, item.month, item.kind): item
        for item in StudyPlanItem.objects.filter(plan__in=plans.values()).select_related("plan")
    }
    labels = dict(Lesson.Kind.choices)
    new = [
        StudyPlanItem(plan=plans[key[0], key[1]], month=key[2], kind=key[3], topic=str(labels[key[3]]))
        for key in keys
        if key not in existing
    ]
    # Planned but not (yet) held: completion below 100 %.
    new += [
        StudyPlanItem(plan=plan, month=12, kind="book_sharing", topic="年度好书推介交流")
        for (branch_id, _year), plan in plans.items()
        if branch_id % 3 == 0 and (branch_id, _year, 12, "book_sharing") not in existing
    ]
    for item in StudyPlanItem.objects.bulk_create(new, batch_size=500):
        existing.setdefault((item.plan.branch_id, item.plan.year, item.month, item.kind), item)
    return existing


def _audience(lesson, members, committee) -> list[Member]:
    """The audience rule of training.services.lessons.lesson_audience, applied to the demo's members."""
    day = timezone.localtime(lesson.start).date()
    people = [m for b in lesson.audience_branches for m in members[b] if m.joined_party_on <= day]
    if lesson.kind == "committee_meeting":
        return [m for m in people if m.pk in committee]
    if lesson.kind == "group_meeting":
        return [m for m in people if m.party_group == lesson.party_group]
    return people


def _attendance(lessons, members, diligence, users, rng) -> list[Attendance]:
    rows, leaves = [], []
    committee = set(Post.objects.current().committee().values_list("member_id", flat=True))
    for lesson in lessons:
        for member in _audience(lesson, members, committee):
            roll = rng.random()
            row = Attendance(lesson=lesson, member=member)
            if roll < diligence[member.pk]:
                row.status = "present"
                row.checked_in_at = lesson.start - datetime.timedelta(minutes=rng.randint(1, 20))
            elif roll < diligence[member.pk] + 0.04:
                row.status = "late"
                row.checked_in_at = lesson.start + datetime.timedelta(minutes=rng.randint(11, 30))
            elif rng.random() < 0.6:
                row.status, row.reason = "leave", rng.choice(("出差", "值班", "病假", "外出培训"))
                leaves.append(
                    LeaveRequest(
                        lesson=lesson,
                        member=member,
                        reason=row.reason,
                        status="approved",
                        decided_by=users["secretaries"].get(lesson.organiser_id),
                        decided_at=lesson.start - datetime.timedelta(days=1),
                    )
                )
            else:
                row.status = "absent"
            rows.append(row)
    Attendance.objects.bulk_create(rows, batch_size=1000)
    LeaveRequest.objects.bulk_create(leaves, batch_size=1000)
    return rows


def _feedback(lessons, attendance, users, rng) -> None:
    present = defaultdict(list)
    for row in attendance:
        if row.status in ("present", "late"):
            present[row.lesson_id].append(row.member)
    feedback, questions = [], []
    for lesson in lessons:
        if lesson.kind in ("committee_meeting", "group_meeting") or rng.random() < 0.5:
            continue
        for member in rng.sample(present[lesson.pk], min(len(present[lesson.pk]), rng.randint(2, 6))):
            feedback.append(
                Feedback(
                    lesson=lesson,
                    member=member,
                    rating=rng.choice((3, 4, 4, 5, 5, 5)),
                    comment=rng.choice(COMMENTS),
                    is_anonymous=rng.random() < 0.3,
                )
            )
        if lesson.kind == "party_lesson" and present[lesson.pk]:
            text, answer = rng.choice(QUESTIONS)
            questions.append(
                Question(
                    lesson=lesson,
                    member=rng.choice(present[lesson.pk]),
                    text=text,
                    answer=answer,
                    answered_by=users["secretaries"].get(lesson.organiser_id),
                    answered_at=lesson.end,
                )
            )
    Feedback.objects.bulk_create(feedback, batch_size=1000)
    Question.objects.bulk_create(questions, batch_size=500)


def _assignments(branches, members, resources, today, rng, users) -> list[Assignment]:
    """Four self-study assignments a year per branch; most done on time, some late, the newest open."""
    made = []
    for year in (today.year - 1, today.year):
        for quarter in range(4):
            due = datetime.date(year, quarter * 3 + 3, 25)
            if due - datetime.timedelta(days=40) > today:
                continue
            resource = resources[quarter % len(resources)]
            for branch in branches:
                assignment = Assignment.objects.create(
                    title=f"自学：{resource.title}（{year}年第{quarter + 1}季度）",
                    kind=Assignment.Kind.SELF_STUDY,
                    topic="通读原文，撰写学习笔记一篇。",
                    resource=resource,
                    branch=branch,
                    due_on=due,
                    min_hours=Decimal(2),
                    created_by=users["secretaries"].get(branch.pk),
                )
                targets = []
                for member in members[branch.pk]:
                    target = AssignmentTarget(assignment=assignment, member=member)
                    roll = rng.random()
                    if due < today and roll < 0.8 or due >= today and roll < 0.4:
                        target.status = "done"
                        late = roll > 0.72 and due < today
                        day = (
                            due + datetime.timedelta(days=rng.randint(1, 10))
                            if late
                            else due - datetime.timedelta(days=rng.randint(1, 20))
                        )
                        target.completed_at = _at(min(day, today - datetime.timedelta(days=1)), 20)
                    targets.append(target)
                AssignmentTarget.objects.bulk_create(targets, batch_size=1000)
                made.append(assignment)
    return made


def _make_up(lessons, attendance, today, rng) -> None:
    """Those absent or on leave owe make-up study (补学), as closing a lesson sets; most have done it."""
    missed = defaultdict(list)
    for row in attendance:
        if row.status in ("absent", "leave"):
            missed[row.lesson_id].append(row)
    by_pk = {lesson.pk: lesson for lesson in lessons}
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                lesson=by_pk[lesson_id],
                kind=Assignment.Kind.MAKE_UP,
                title=f"补学：{by_pk[lesson_id].title}",
                branch_id=by_pk[lesson_id].organiser_id,
                due_on=timezone.localtime(by_pk[lesson_id].start).date() + datetime.timedelta(days=30),
                min_hours=by_pk[lesson_id].credit_hours,
            )
            for lesson_id in missed
        ],
        batch_size=500,
    )
    targets = []
    for assignment in assignments:
        for row in missed[assignment.lesson_id]:
            target = AssignmentTarget(assignment=assignment, member_id=row.member_id, reason=row.status)
            done_on = assignment.due_on - datetime.timedelta(days=rng.randint(2, 25))
            if done_on < today and rng.random() < (0.8 if row.status == "leave" else 0.5):
                target.status, target.completed_at = "done", _at(done_on, 21)
            targets.append(target)
    AssignmentTarget.objects.bulk_create(targets, batch_size=1000)


def _supervision(branches, today) -> None:
    """Last year's visit to the second branch, its rectification done."""
    if len(branches) < 2:
        return
    visit = SupervisionVisit.objects.create(
        branch=branches[1],
        visited_on=datetime.date(today.year - 1, 9, 18),
        inspectors="机关党委 张建国、王丽",
        findings="党小组会记录过简；两名党员学习笔记雷同。",
    )
    RectificationItem.objects.create(
        visit=visit,
        description="规范党小组会会议记录",
        owner="组织委员",
        deadline=datetime.date(today.year - 1, 10, 31),
        status=RectificationItem.Status.DONE,
    )


def _year_end(branches, members, year, users, rng) -> None:
    """Last year's democratic evaluation: recorded, submitted, and confirmed by leadership for all but one branch."""
    leader = users["leader"]
    for branch in branches:
        # A branch under a 党总支 without its own secretary is evaluated by the general branch's.
        secretary = users["secretaries"].get(branch.pk) or users["secretaries"].get(branch.parent_id)
        rows = list(YearEndAssessment.objects.filter(branch=branch, year=year).order_by("-score", "pk"))
        if secretary is None or not rows:
            continue
        for row in rows[:3]:
            member = next((m for m in members[branch.pk] if m.pk == row.member_id), None)
            if member is not None and member.user is not None:
                self_summary_save(
                    member=member, year=year, text="一年来按时参加组织生活，完成学习任务。", actor=member.user
                )
        excellent = len(rows) // 5  # within the scheme's one-in-five share, also for a branch of one
        verdicts = {}
        for index, row in enumerate(rows):
            meets = row.total_hours >= row.required_hours
            if index < excellent and meets:
                outcome = "excellent"
            elif meets or rng.random() < 0.8:
                outcome = "qualified"
            else:
                outcome = "basic"
            verdicts[row.member_id] = (outcome, min(100, int(70 + float(row.score) / 4)))
        try:
            with transaction.atomic():
                branch_verdicts_save(branch_id=branch.pk, year=year, verdicts=verdicts, actor=secretary)
                branch_submit(branch_id=branch.pk, year=year, actor=secretary)
                if branch.code != UNCONFIRMED_BRANCH and leader is not None:
                    branch_confirm(branch_id=branch.pk, year=year, actor=leader, is_leadership=True)
        except ValidationError:
            # A rule the generated outcomes break (say, an organisation
            # added later): leave that branch in draft rather than fail.
            continue


def _checkup_report(year: int, leader) -> int:
    """Queue last year's bureau checkup report through the report service; the worker compiles it.

    Compiling (PDF and XLSX) takes longer than the rest of the seeding, so
    `make run`'s worker does it in the background within seconds.
    """
    report_request(period=CheckupReport.Period.YEAR, start=datetime.date(year, 1, 1), actor=leader)
    return 1
