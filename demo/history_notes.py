"""Demo history, continued: study notes in every state and online study hours (see demo/history.py)."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from training.models import OnlineStudyRecord, StudyNote, StudyNoteVersion

DEMO_MEMBER = "demo_member"
ONLINE_COURSES = ("党的二十大精神专题", "党纪学习教育", "新质生产力与交通运输", "公文写作与调查研究", "安全生产法解读")


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


NOTE_TEXT = (
    "通过学习{title}，我进一步认识到理论学习必须同岗位实践相结合。"
    "作为交通运输系统的一名党员，要把学习成果转化为服务群众、保障畅通的实际行动，"
    "在公路养护、运输管理和安全生产中发挥先锋模范作用。下一步，我将坚持每周自学，做好笔记，查找差距，立行立改。"
)


def seed_notes(branches, members, lessons, assignments, resources, today, rng, users, diligence) -> None:
    """About six notes a member a year: passed, returned, waiting and drafts; the demo member has each."""
    lessons_by_branch = defaultdict(list)
    for lesson in lessons:
        lessons_by_branch[lesson.organiser_id].append(lesson)
    assignments_by_branch = defaultdict(list)
    for assignment in assignments:
        assignments_by_branch[assignment.branch_id].append(assignment)
    notes = []
    for branch in branches:
        reviewer = users["secretaries"].get(branch.pk)
        for member in members[branch.pk]:
            is_demo = member.user is not None and member.user.username == DEMO_MEMBER
            count = 14 if is_demo else int(4 + diligence[member.pk] * 8)
            for index in range(count):
                day = today - datetime.timedelta(days=int(rng.uniform(3, 690)) if not is_demo else 5 + index * 45)
                if member.joined_party_on and day < member.joined_party_on:
                    continue
                source = rng.random()
                assignment = lesson = resource = None
                if source < 0.4 and assignments_by_branch[branch.pk]:
                    assignment = rng.choice(assignments_by_branch[branch.pk])
                    title = assignment.resource.title
                elif source < 0.75 and lessons_by_branch[branch.pk]:
                    lesson = rng.choice(lessons_by_branch[branch.pk])
                    day = max(day, timezone.localtime(lesson.start).date())
                    title = lesson.title
                else:
                    resource = rng.choice(resources)
                    title = resource.title
                day = min(day, today - datetime.timedelta(days=1))
                status = _note_status(day, today, rng, index if is_demo else None)
                submitted = _at(day + datetime.timedelta(days=1), 21) if status != "draft" else None
                note = StudyNote(
                    member=member,
                    kind="reflection" if rng.random() < 0.35 else "note",
                    title=f"学习《{title}》{'心得体会' if rng.random() < 0.5 else '笔记'}"[:200],
                    body=NOTE_TEXT.format(title=title),
                    study_date=day,
                    hours=Decimal(rng.choice((1, 1, 1.5, 2, 2, 3))),
                    lesson=lesson,
                    assignment=assignment,
                    resource=resource,
                    status=status,
                    submitted_at=submitted,
                )
                if status in ("passed", "returned"):
                    note.reviewed_by = reviewer
                    note.reviewed_at = submitted + datetime.timedelta(days=rng.randint(1, 6))
                if status == "passed":
                    note.grade = rng.choice(("excellent", "good", "good", "pass"))
                    note.review_comment = rng.choice(("联系实际较好。", "体会深刻。", ""))
                elif status == "returned":
                    note.review_comment = "内容偏少，请结合本职工作谈具体体会后重新提交。"
                notes.append(note)
    StudyNote.objects.bulk_create(notes, batch_size=1000)
    StudyNoteVersion.objects.bulk_create(
        [
            StudyNoteVersion(
                note=note,
                number=1,
                title=note.title,
                body=note.body,
                hours=note.hours,
                study_date=note.study_date,
                submitted_at=note.submitted_at,
                review_comment=note.review_comment if note.status == "returned" else "",
            )
            for note in notes
            if note.submitted_at
        ],
        batch_size=1000,
    )


def _note_status(day, today, rng, demo_index) -> str:
    if demo_index is not None and demo_index >= 10:
        return ("passed", "returned", "submitted", "draft")[demo_index - 10]
    age = (today - day).days
    if age < 20:
        return rng.choice(("submitted", "submitted", "draft", "passed"))
    return "passed" if rng.random() < 0.9 else "returned"


def seed_online(members, today, rng, diligence) -> None:
    records = []
    for branch_members in members.values():
        for member in branch_members:
            for months_ago in range(1, 24):
                if rng.random() > diligence[member.pk] - 0.2:
                    continue
                day = today - datetime.timedelta(days=months_ago * 30 + rng.randint(0, 20))
                records.append(
                    OnlineStudyRecord(
                        member=member,
                        study_date=day,
                        course=rng.choice(ONLINE_COURSES),
                        hours=Decimal(rng.choice((1, 1.5, 2, 3))),
                        source=f"学习平台导出-{day:%Y%m}.xlsx",
                    )
                )
    OnlineStudyRecord.objects.bulk_create(records, batch_size=1000, ignore_conflicts=True)
