"""Scale build steps: plans, lessons, attendance, assignments, notes and online hours."""

import datetime
import uuid
from decimal import Decimal

from demo.scale.common import _day_between, _Org, _rng, _weighted
from demo.scale.words import (
    _KIND_WEIGHTS,
    _KIND_WEIGHTS_NO_COMMITTEE,
    ASSIGNMENT_READING,
    KIND_FORMAT,
    KIND_PREFIX,
    LEAVE_REASONS,
    LESSON_HOURS,
    MEETINGS,
    NOTE_SENTENCES,
    ONLINE_COURSES,
    OUTSIDE_LECTURERS,
    OUTSIDE_PLACES,
    REVIEW_COMMENTS,
    STUDY_TOPICS,
)
from training.models import (
    Assignment,
    AssignmentTarget,
    Attendance,
    Lesson,
    LessonHost,
    OnlineStudyRecord,
    OutsideLecturer,
    StudyNote,
    StudyNoteVersion,
    StudyPlan,
    StudyPlanItem,
)


class RecordSteps:
    # --- plans and lessons ---------------------------------------------------

    def write_plans(self) -> None:
        rng = _rng(self.name, "plans")
        plans = [(branch, year) for branch in self.branches for year in self.years]
        plan_ids = self.ids(StudyPlan, len(plans))
        item_ids = iter(self.ids(StudyPlanItem, len(plans) * 12))
        self.plan_items: dict[tuple, tuple] = {}  # (branch id, year, month) -> (item id, kind, topic, hours)
        items = []
        for plan_id, (branch, year) in zip(plan_ids, plans, strict=True):
            for month in range(1, 13):
                kind = Lesson.Kind.ORG_LIFE_MEETING if month == 12 else _weighted(rng, _KIND_WEIGHTS_NO_COMMITTEE)
                topic = f"{KIND_PREFIX[kind]}：{rng.choice(STUDY_TOPICS)}"
                hours = Decimal(rng.choice(LESSON_HOURS))
                item_id = next(item_ids)
                self.plan_items[branch.id, year, month] = (item_id, kind, topic, hours)
                items.append((item_id, plan_id, month, topic, kind, hours))
        rows = ((pid, b.id, year, f"{year}年度学习计划") for pid, (b, year) in zip(plan_ids, plans, strict=True))
        self.loader.load(StudyPlan, ["id", "branch_id", "year", "note"], rows)
        self.loader.load(StudyPlanItem, ["id", "plan_id", "month", "topic", "kind", "planned_hours"], items)

    def _lecturers(self) -> list[int]:
        ids = []
        for name, organisation, title, expertise in OUTSIDE_LECTURERS:
            lecturer, _created = OutsideLecturer.objects.get_or_create(
                name=name, organisation=organisation, defaults={"title": title, "expertise": expertise}
            )
            ids.append(lecturer.pk)
        return ids

    def write_lessons(self) -> None:
        """About `lessons_per_month` lessons a branch a month: held before now, published for two weeks, else draft."""
        rng = _rng(self.name, "lessons")
        lecturers = self._lecturers()
        published_until = self.now + datetime.timedelta(days=14)
        months = []
        day = self.window_start
        while day.year <= self.today.year:
            months.append(day)
            day = (day + datetime.timedelta(days=32)).replace(day=1)
        n, count = self.sizes.lessons_per_month, len(self.branches)
        planned = []  # lessons in the order their ids are given
        for month_start in months:
            length = ((month_start + datetime.timedelta(days=32)).replace(day=1) - month_start).days
            for b, branch in enumerate(self.branches):
                for k in range(n):
                    offset = int((k + rng.random()) * length / n)
                    day = month_start + datetime.timedelta(days=offset)
                    if day.weekday() == 5:
                        day -= datetime.timedelta(days=1)
                    elif day.weekday() == 6:
                        day -= datetime.timedelta(days=2) if day.day > 2 else datetime.timedelta(days=-1)
                    planned.append((b, branch, day, k))
        lesson_ids = self.ids(Lesson, len(planned))
        host_rows, lessons = [], []
        for lesson_id, (b, branch, day, k) in zip(lesson_ids, planned, strict=True):
            plan_item = self.plan_items.get((branch.id, day.year, day.month)) if k == 0 else None
            if plan_item:
                item_id, kind, title, credit = plan_item
            else:
                item_id, kind = None, _weighted(rng, _KIND_WEIGHTS)
                title = f"{KIND_PREFIX[kind]}：{rng.choice(STUDY_TOPICS)}"
                credit = Decimal(rng.choice(LESSON_HOURS))
            hour = rng.choice((9, 14, 14, 15))
            start = self.at(day, hour, rng.choice((0, 30)))
            end = start + datetime.timedelta(hours=float(credit))
            status = Lesson.Status.HELD if start <= self.now else Lesson.Status.PUBLISHED
            if start > published_until:
                status = Lesson.Status.DRAFT
            co_host = -1
            if kind != Lesson.Kind.COMMITTEE_MEETING and rng.random() < self.sizes.joint_share:
                # A sibling under the same general branch.
                first = branch.general * self.sizes.branches_per_general
                siblings = [i for i in range(first, min(first + self.sizes.branches_per_general, count)) if i != b]
                co_host = rng.choice(siblings) if siblings else -1
            secretary, publicity = branch.committee[0], branch.committee[2]
            lecturer_member = lecturer_outside = None
            if kind in (Lesson.Kind.PARTY_LESSON, Lesson.Kind.EXPERT_LECTURE):
                if kind == Lesson.Kind.EXPERT_LECTURE or rng.random() < 0.4:
                    lecturer_outside = rng.choice(lecturers)
                else:
                    lecturer_member = secretary.id
            is_meeting = kind in MEETINGS
            venue_id = branch.venue_id
            outside_place = ""
            if kind == Lesson.Kind.OFFSITE_VISIT:
                venue_id, outside_place = None, rng.choice(OUTSIDE_PLACES)
            elif kind == Lesson.Kind.ONLINE_COURSE:
                venue_id = None
            created_at = start - datetime.timedelta(days=rng.randint(7, 20))
            lessons.append(
                (
                    lesson_id,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    title,
                    f"围绕“{title.split('：', 1)[-1]}”开展学习交流。",
                    kind,
                    KIND_FORMAT[kind],
                    branch.id,
                    start,
                    end,
                    venue_id,
                    outside_place,
                    lecturer_member,
                    lecturer_outside,
                    credit,
                    "",
                    10,
                    status,
                    item_id,
                    secretary.fields["full_name"] if is_meeting else "",
                    publicity.fields["full_name"] if is_meeting else "",
                    "一、传达学习上级精神；二、交流讨论；三、部署下一步工作。" if is_meeting else "",
                    "会议研究确定了下一阶段学习安排。" if is_meeting and status == Lesson.Status.HELD else "",
                    f"{rng.getrandbits(128):032x}",
                    0,
                    secretary.user_id,
                    created_at,
                    end if status == Lesson.Status.HELD else created_at,
                )
            )
            self.lessons.append((lesson_id, b, start, end, status, kind, credit, co_host, title))
            host_rows.append((lesson_id, branch.id, True, LessonHost.Status.ACCEPTED, None))
            if co_host >= 0:
                responded = created_at + datetime.timedelta(days=1)
                host_rows.append((lesson_id, self.branches[co_host].id, False, LessonHost.Status.ACCEPTED, responded))
        fields = [
            "id",
            "uid",
            "title",
            "topic",
            "kind",
            "format",
            "organiser_id",
            "start",
            "end",
            "venue_id",
            "outside_place",
            "lecturer_member_id",
            "lecturer_outside_id",
            "credit_hours",
            "credit_hours_reason",
            "grace_minutes",
            "status",
            "plan_item_id",
            "presenter",
            "recorder",
            "agenda",
            "decisions",
            "checkin_key",
            "sequence",
            "created_by_id",
            "created_at",
            "updated_at",
        ]
        self.loader.load(Lesson, fields, lessons)
        ids = self.ids(LessonHost, len(host_rows))
        rows = ((i, *row, "") for i, row in zip(ids, host_rows, strict=True))
        self.loader.load(
            LessonHost, ["id", "lesson_id", "branch_id", "is_organiser", "status", "responded_at", "reason"], rows
        )

    def _audience(self, branch: _Org, on: int) -> list[int]:
        return [member for member, first, last in branch.periods if first <= on <= last]

    def write_attendance(self) -> None:
        """A sample of each held lesson's audience, ~85% present, 5% late, 5% on leave, 5% absent."""
        rng = _rng(self.name, "attendance")
        sizes = self.sizes

        def rows():
            for index, (lesson_id, b, start, end, status, kind, _credit, co_host, _title) in enumerate(self.lessons):
                if status != Lesson.Status.HELD:
                    continue
                on = start.date().toordinal()
                branch = self.branches[b]
                if kind == Lesson.Kind.COMMITTEE_MEETING:
                    audience = [p.id for p in branch.committee]
                else:
                    candidates = self._audience(branch, on)
                    audience = rng.sample(candidates, min(sizes.audience_sample, len(candidates)))
                    if co_host >= 0:
                        others = self._audience(self.branches[co_host], on)
                        audience += rng.sample(others, min(sizes.joint_sample, len(others)))
                for member_id in audience:
                    draw = rng.random()
                    checked_in, reason = None, ""
                    if draw < 0.85:
                        state = Attendance.Status.PRESENT
                        checked_in = start - datetime.timedelta(minutes=rng.randint(0, 20))
                        if draw < 0.15:
                            self.attended.setdefault(member_id, []).append((lesson_id, start.date()))
                    elif draw < 0.90:
                        state = Attendance.Status.LATE
                        checked_in = start + datetime.timedelta(minutes=10 + rng.randint(1, 40))
                    elif draw < 0.95:
                        state, reason = Attendance.Status.LEAVE, rng.choice(LEAVE_REASONS)
                    else:
                        state = Attendance.Status.ABSENT
                    if state in (Attendance.Status.LEAVE, Attendance.Status.ABSENT):
                        self.missed.setdefault(index, []).append((member_id, state))
                    yield (lesson_id, member_id, state, checked_in, reason, end)

        # Ids are allocated as rows come, so the count need not be known in advance.
        first = self.ids(Attendance, 0).start
        counted = ((first + i, *row) for i, row in enumerate(rows()))
        written = self.loader.load(
            Attendance, ["id", "lesson_id", "member_id", "status", "checked_in_at", "reason", "updated_at"], counted
        )
        self.next_id[Attendance] = first + written

    # --- assignments, notes, online study -------------------------------------

    def write_assignments(self) -> None:
        """Self-study for every branch each quarter, and make-up study for each held lesson someone missed."""
        rng = _rng(self.name, "assignments")
        assignments, targets = [], []
        quarter = datetime.date(self.window_start.year, (self.window_start.month - 1) // 3 * 3 + 1, 1)
        quarters = []
        while quarter <= self.today:
            quarters.append(quarter)
            quarter = datetime.date(quarter.year + quarter.month // 10, (quarter.month + 2) % 12 + 1, 1)
        first_id = self.ids(Assignment, 0).start
        next_id = iter(range(first_id, 10**12))
        today = self.today
        for quarter in quarters:
            for branch in self.branches:
                for k in range(self.sizes.assignments_per_quarter):
                    created = quarter + datetime.timedelta(days=5 + 30 * k + rng.randint(0, 10))
                    if created > today or created < self.window_start:
                        continue
                    due = created + datetime.timedelta(days=rng.randint(30, 45))
                    reading = rng.choice(ASSIGNMENT_READING)
                    assignment_id = next(next_id)
                    assignments.append(
                        (
                            assignment_id,
                            f"自学：{reading}",
                            Assignment.Kind.SELF_STUDY,
                            f"认真学习{reading}相关章节，撰写学习笔记一篇。",
                            None,
                            branch.id,
                            due,
                            Decimal(rng.choice(("1", "2", "2", "3"))),
                            branch.committee[0].user_id,
                            self.at(created, 9),
                        )
                    )
                    for member_id in self._audience(branch, created.toordinal()):
                        done = rng.random() < (0.85 if due < today else 0.4)
                        completed = None
                        if done:
                            late = rng.random() < 0.1
                            last = min(due + datetime.timedelta(days=20) if late else due, today)
                            day = _day_between(rng, min(created + datetime.timedelta(days=3), last), last)
                            completed = min(self.at(day, 20, rng.randint(0, 59)), self.now)
                            self.done_targets.setdefault(member_id, []).append((assignment_id, created, completed))
                        status = AssignmentTarget.Status.DONE if done else AssignmentTarget.Status.OPEN
                        targets.append((assignment_id, member_id, status, "", completed))
        for index, missed in self.missed.items():
            lesson_id, b, start, _end, _status, _kind, credit, _co, title = self.lessons[index]
            day, branch = start.date(), self.branches[b]
            due = day + datetime.timedelta(days=30)
            assignment_id = next(next_id)
            assignments.append(
                (
                    assignment_id,
                    f"补学：{title}"[:200],
                    Assignment.Kind.MAKE_UP,
                    f"围绕“{title.split('：', 1)[-1]}”开展学习交流。",
                    lesson_id,
                    branch.id,
                    due,
                    credit,
                    branch.committee[0].user_id,
                    start + datetime.timedelta(hours=3),
                )
            )
            for member_id, reason in missed:
                completed = None
                if rng.random() < (0.75 if reason == Attendance.Status.LEAVE else 0.5):
                    last = min(due + datetime.timedelta(days=10), today)
                    done_on = _day_between(rng, min(day + datetime.timedelta(days=1), last), last)
                    completed = min(self.at(done_on, 21), self.now)
                status = AssignmentTarget.Status.DONE if completed else AssignmentTarget.Status.OPEN
                targets.append((assignment_id, member_id, status, reason, completed))
        self.next_id[Assignment] = first_id + len(assignments)
        fields = ["id", "title", "kind", "topic", "lesson_id", "branch_id", "due_on", "min_hours", "created_by_id"]
        self.loader.load(Assignment, [*fields, "created_at"], assignments)
        ids = self.ids(AssignmentTarget, len(targets))
        rows = ((i, *row) for i, row in zip(ids, targets, strict=True))
        self.loader.load(
            AssignmentTarget, ["id", "assignment_id", "member_id", "status", "reason", "completed_at"], rows
        )

    def write_notes(self) -> None:
        """Notes over the members' time in the window: most passed with a grade, recent ones still in review."""
        rng = _rng(self.name, "notes")
        sizes, today, now = self.sizes, self.today, self.now
        first_note = self.ids(StudyNote, 0).start
        first_version = self.ids(StudyNoteVersion, 0).start
        reviewers = {b: branch.committee[0].user_id for b, branch in enumerate(self.branches)}
        note_fields = [
            "id",
            "member_id",
            "kind",
            "title",
            "body",
            "study_date",
            "hours",
            "lesson_id",
            "assignment_id",
            "status",
            "grade",
            "review_comment",
            "reviewed_by_id",
            "reviewed_at",
            "submitted_at",
            "created_at",
            "updated_at",
        ]
        version_fields = [
            "id",
            "note_id",
            "number",
            "title",
            "body",
            "hours",
            "study_date",
            "submitted_at",
            "review_comment",
        ]
        counters = {"note": first_note, "version": first_version}

        def body() -> str:
            return "".join(rng.sample(NOTE_SENTENCES, rng.randint(3, 6)))

        def note(person, *, day, status, kind, title, lesson_id=None, assignment_id=None, reviewed_at=None):
            note_id = counters["note"]
            counters["note"] += 1
            text = body()
            hours = Decimal(rng.choice(("0.5", "1", "1", "1.5", "2", "2", "3", "4")))
            submitted = reviewed = None
            grade = comment = ""
            versions = []
            if status != StudyNote.Status.DRAFT:
                submitted = min(self.at(day + datetime.timedelta(days=rng.randint(0, 4)), 21), now)
                returned_first = status == StudyNote.Status.PASSED and rng.random() < 0.1
                if status in (StudyNote.Status.PASSED, StudyNote.Status.RETURNED):
                    reviewed = reviewed_at or min(submitted + datetime.timedelta(days=rng.randint(1, 10)), now)
                    submitted = min(submitted, reviewed)
                if status == StudyNote.Status.PASSED:
                    grade = _weighted(rng, (("excellent", 25), ("good", 45), ("pass", 30)))
                    comment = REVIEW_COMMENTS[grade] if rng.random() < 0.5 else ""
                elif status == StudyNote.Status.RETURNED:
                    comment = REVIEW_COMMENTS["returned"]
                if returned_first:
                    earlier = submitted - datetime.timedelta(days=3)
                    versions.append((1, earlier, REVIEW_COMMENTS["returned"]))
                    versions.append((2, submitted, ""))
                else:
                    versions.append((1, submitted, comment if status == StudyNote.Status.RETURNED else ""))
            reviewer = reviewers[person.branch] if reviewed else None
            created = min(self.at(day, 19), now)
            if submitted is not None:
                created = min(created, submitted)
            updated = reviewed or submitted or created
            yield (
                StudyNote,
                (
                    note_id,
                    person.id,
                    kind,
                    title,
                    text,
                    day,
                    hours,
                    lesson_id,
                    assignment_id,
                    status,
                    grade,
                    comment,
                    reviewer,
                    reviewed,
                    submitted,
                    created,
                    updated,
                ),
            )
            for number, at, version_comment in versions:
                version_id = counters["version"]
                counters["version"] += 1
                yield StudyNoteVersion, (version_id, note_id, number, title, text, hours, day, at, version_comment)

        def status_for(day) -> str:
            if (today - day).days < 21:
                return _weighted(rng, (("passed", 20), ("submitted", 50), ("draft", 30)))
            return _weighted(rng, (("passed", 80), ("submitted", 8), ("returned", 5), ("draft", 7)))

        def rows():
            for person in self.people:
                first = max(self.window_start, datetime.date.fromordinal(person.active_from))
                if first > today:
                    continue
                months = ((today - first).days + 1) / 30.44
                mean = sizes.notes_per_member_month * months
                wanted = max(0, round(rng.gauss(mean, mean * 0.3)))
                written = 0
                for assignment_id, created, completed in self.done_targets.get(person.id, ()):
                    if rng.random() >= sizes.linked_note_share:
                        continue
                    day = _day_between(rng, created, completed.date())
                    yield from note(
                        person,
                        day=day,
                        status=StudyNote.Status.PASSED,
                        kind=StudyNote.Kind.NOTE,
                        title=f"{rng.choice(ASSIGNMENT_READING)}学习笔记",
                        assignment_id=assignment_id,
                        reviewed_at=completed,
                    )
                    written += 1
                attended = self.attended.get(person.id, [])
                for _ in range(wanted - written):
                    if attended and rng.random() < 0.3:
                        lesson_id, day = rng.choice(attended)
                        kind, title, lesson = StudyNote.Kind.REFLECTION, "参加支部学习活动的心得体会", lesson_id
                    else:
                        day = _day_between(rng, first, today)
                        kind, lesson = StudyNote.Kind.NOTE, None
                        title = f"学习{rng.choice(STUDY_TOPICS)}的笔记"
                    yield from note(person, day=day, status=status_for(day), kind=kind, title=title, lesson_id=lesson)

        self.loader.load_many({StudyNote: note_fields, StudyNoteVersion: version_fields}, rows())
        self.next_id[StudyNote] = counters["note"]
        self.next_id[StudyNoteVersion] = counters["version"]

    def write_online_records(self) -> None:
        rng = _rng(self.name, "online")
        sizes, today = self.sizes, self.today
        imported = self.now

        def rows():
            for person in self.people:
                first = max(self.window_start, datetime.date.fromordinal(person.active_from))
                if first > today:
                    continue
                mean = sizes.online_per_member_month * ((today - first).days + 1) / 30.44
                count = int(mean) + (rng.random() < mean - int(mean))
                seen = set()
                for _ in range(count):
                    day, course = _day_between(rng, first, today), rng.choice(ONLINE_COURSES)
                    if (day, course) in seen:
                        continue
                    seen.add((day, course))
                    hours = Decimal(rng.choice(("0.5", "1", "1", "1.5", "2", "3")))
                    yield (person.id, day, course, hours, f"学习平台导出-{day:%Y%m}.xlsx", imported)

        first = self.ids(OnlineStudyRecord, 0).start
        counted = ((first + i, *row) for i, row in enumerate(rows()))
        fields = ["id", "member_id", "study_date", "course", "hours", "source", "imported_at"]
        written = self.loader.load(OnlineStudyRecord, fields, counted)
        self.next_id[OnlineStudyRecord] = first + written
