"""Demo lessons for the demo bureau: a joint Party lesson, meetings held, a plan."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import Branch, Venue
from training.models import Attendance, Lesson, LessonHost, OutsideLecturer, StudyPlan, StudyPlanItem
from training.services.lessons import audience_sync


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@transaction.atomic
def seed_lessons(*, today: datetime.date | None = None) -> dict[str, int]:
    """Add demo lessons to the demo branches; lessons already there are left alone."""
    today = today or timezone.localdate()
    branches = {b.code: b for b in Branch.objects.filter(code__in=["jg1", "jg2", "ysgl", "glyh"])}
    if len(branches) < 4:
        return {"lessons": 0}
    jg1, ysgl = branches["jg1"], branches["ysgl"]
    hall = Venue.objects.filter(owner=jg1).order_by("pk").first()
    lecturer, _created = OutsideLecturer.objects.get_or_create(
        name="周文华", organisation="云溪县委党校", defaults={"title": "副教授", "expertise": "党史,党章党规"}
    )
    specs = [
        # (organiser, title, kind, day offset, start hour, hours, status, co-hosts)
        (jg1, "联合党课：学习贯彻党的二十大精神", "party_lesson", 1, 14, 2, "published", [ysgl]),
        (jg1, "主题党日：重温入党誓词", "theme_day", 7, 9, 3, "published", []),
        (jg1, "支委会：研究年度学习计划", "committee_meeting", -20, 15, 1, "held", []),
        (jg1, "集中学习：《中国共产党纪律处分条例》", "central_study", -35, 14, 2, "held", []),
        (ysgl, "红色电影：《长津湖》", "red_film", -12, 14, 3, "held", []),
        (branches["glyh"], "现场教学：县革命纪念馆", "offsite_visit", 10, 9, 4, "draft", []),
    ]
    created = 0
    for organiser, title, kind, offset, hour, hours, status, co_hosts in specs:
        if Lesson.objects.filter(organiser=organiser, title=title).exists():
            continue
        day = today + datetime.timedelta(days=offset)
        start = _at(day, hour)
        lesson = Lesson.objects.create(
            organiser=organiser,
            title=title,
            kind=kind,
            start=start,
            end=start + datetime.timedelta(hours=hours),
            venue=hall if organiser == jg1 and kind != "offsite_visit" else None,
            outside_place="云溪县革命纪念馆" if kind == "offsite_visit" else "",
            lecturer_outside=lecturer if kind == "party_lesson" else None,
            credit_hours=Decimal(4 if hours >= 3 else hours),
            status=status,
        )
        LessonHost.objects.create(lesson=lesson, branch=organiser, is_organiser=True, status="accepted")
        for branch in co_hosts:
            LessonHost.objects.create(lesson=lesson, branch=branch, status="accepted")
        if status != "draft":
            audience_sync(lesson=lesson)
        if status == "held":
            _record_attendance(lesson)
        created += 1
    created += _seed_lesson_starting_soon(jg1, hall)
    plan, _created = StudyPlan.objects.get_or_create(branch=jg1, year=today.year)
    if not plan.items.exists():
        StudyPlanItem.objects.bulk_create(
            [
                StudyPlanItem(plan=plan, month=month, topic=topic, kind=kind, planned_hours=Decimal(hours))
                for month, topic, kind, hours in [
                    (3, "学习《中国共产党章程》", "central_study", 2),
                    (6, "七一专题党课", "party_lesson", 2),
                    (9, "纪律教育学习月", "central_study", 2),
                    (11, "年度组织生活会", "org_life_meeting", 4),
                ]
            ]
        )
    return {"lessons": created}


def _seed_lesson_starting_soon(branch, venue) -> int:
    """A lesson 50 minutes away, so that the demo's reminders arrive on their own within minutes."""
    now = timezone.now()
    soon = Lesson.objects.filter(
        organiser=branch, status="published", start__gt=now, start__lte=now + datetime.timedelta(hours=2)
    )
    if soon.exists():
        return 0
    start = (now + datetime.timedelta(minutes=50)).replace(second=0, microsecond=0)
    lesson = Lesson.objects.create(
        organiser=branch,
        title="微党课：学习身边的榜样",
        kind="party_lesson",
        start=start,
        end=start + datetime.timedelta(hours=1),
        venue=venue,
        credit_hours=Decimal(1),
        status="published",
    )
    LessonHost.objects.create(lesson=lesson, branch=branch, is_organiser=True, status="accepted")
    audience_sync(lesson=lesson)
    return 1


def _record_attendance(lesson: Lesson) -> None:
    """Mark a held demo lesson: most present, one late, one on leave, one absent."""
    rows = list(Attendance.objects.filter(lesson=lesson).order_by("member__name_pinyin"))
    for index, row in enumerate(rows):
        if index == 1:
            row.status, row.checked_in_at = "late", lesson.start + datetime.timedelta(minutes=15)
        elif index == 2:
            row.status, row.reason = "leave", "出差"
        elif index == 3:
            row.status = "absent"
        else:
            row.status, row.checked_in_at = "present", lesson.start - datetime.timedelta(minutes=5)
    Attendance.objects.bulk_update(rows, ["status", "checked_in_at", "reason"])
