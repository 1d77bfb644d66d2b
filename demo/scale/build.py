"""Build one scale: ``seed_scale`` plans every row in Python and loads it in bulk."""

import datetime
import functools
import time
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from assessments.services.indicators import indicators_recompute
from branches.models import Branch, Venue
from demo.scale.common import BENCH_LOGINS, PASSWORD, SCALES, SECOND_LEADER, ScaleSpec, _Org, _Person
from demo.scale.loader import _Loader
from demo.scale.organisation import OrganisationSteps
from demo.scale.records import RecordSteps
from members.models import Member, Membership, Post
from members.pinyin import name_index
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


def seed_scale(name: str, *, stdout=None, today: datetime.date | None = None, **sizes) -> dict:
    """Build the named scale unless it exists; return counts, timings and the bench logins.

    Keyword arguments override the preset's Sizes, e.g. ``seed_scale("city", branches=4,
    members_per_branch=5, months=3)`` for a tiny build with the same shape.
    """
    spec = _spec(name, sizes)

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message if message.endswith("\n") else message + "\n")

    marker = f"{name}-0001"
    if Branch.objects.filter(code=marker).exists():
        say(f"{name} 规模的数据已存在（组织代码 {marker}），本次未做任何改动。")
        return _summary(name, created={}, timings=[], indicators={}, seconds=0.0)

    started = time.perf_counter()
    build = _Build(name, spec, today=today, say=say)
    loader = build.loader
    with transaction.atomic():
        build.run()
        committing = time.perf_counter()
    loader.record("COMMIT（含延迟的外键检查）", None, time.perf_counter() - committing)
    if loader.postgres:
        loader.timed("VACUUM / ANALYZE", lambda: _analyze(dict.fromkeys(loader.tables)), rows=None)
    indicators = {}
    for year in build.years_assessed:
        t0 = time.perf_counter()
        assessed = indicators_recompute(year, today=build.today)
        indicators[year] = (assessed, time.perf_counter() - t0)
        loader.record(f"indicators_recompute({year})", assessed, indicators[year][1])
    if loader.postgres:
        # The ledger's tables, filled by the recompute after the first ANALYZE.
        loader.timed("VACUUM / ANALYZE", lambda: _analyze(LEDGER_TABLES), rows=None)
    seconds = time.perf_counter() - started
    say(loader.table(seconds))
    created = {
        "branches": loader.counts.get("branches_branch", 0),
        "venues": loader.counts.get("branches_venue", 0),
        "members": loader.counts.get("members_member", 0),
        "memberships": loader.counts.get("members_membership", 0),
        "posts": loader.counts.get("members_post", 0),
        "users": loader.counts.get("auth_user", 0),
    }
    return _summary(name, created=created, timings=loader.timings, indicators=indicators, seconds=seconds)


def planned_members(name: str, *, today: datetime.date | None = None, **sizes) -> list[dict]:
    """Return the members a build of *name* would create, in order, without writing anything."""
    build = _Build(name, _spec(name, sizes), today=today, say=lambda message: None)
    build.plan_organisation()
    build.plan_members()
    return [
        {
            "full_name": person.fields["full_name"],
            "id_number": person.fields["id_number"],
            "phone": person.fields["phone"],
            "branch": build.branches[person.branch].code,
            "username": person.username,
        }
        for person in build.people
    ]


def _spec(name: str, sizes: dict) -> ScaleSpec:
    spec = SCALES[name]
    return replace(spec, sizes=replace(spec.sizes, **sizes))


def _summary(name, *, created, timings, indicators, seconds) -> dict:
    """Describe the scale as seed_demo prints it, from the database."""
    User = get_user_model()
    organisations = Branch.objects.filter(code__startswith=f"{name}-")
    members = Member.objects.filter(branch__code__startswith=f"{name}-")
    users = User.objects.filter(member__in=members)
    logins = []
    for username, role, _index in (*BENCH_LOGINS, SECOND_LEADER):
        member = Member.objects.select_related("branch").filter(user__username=username).first()
        if member is not None and member.branch.code.startswith(f"{name}-"):
            logins.append(
                {
                    "username": username,
                    "password": PASSWORD,
                    "role": role,
                    "member": f"{member.branch.name} {member.full_name}",
                }
            )
    return {
        "organisations": organisations.count(),
        "branches": organisations.filter(kind=Branch.Kind.BRANCH).count(),
        "venues": Venue.objects.filter(owner__in=organisations).count(),
        "members": members.count(),
        "users": users.count(),
        "created": {kind: count for kind, count in created.items() if count},
        "logins": logins,
        "timings": timings,
        "indicators": indicators,
        "seconds": seconds,
    }


LEDGER_TABLES = [
    "assessments_yearendassessment",
    "assessments_branchyearfigures",
    "training_memberyearfigures",
    "training_branchmonthfigures",
    "training_branchinteractionfigures",
]


def _analyze(tables) -> None:
    # VACUUM as well where it may run (outside a transaction, not in tests): it sets the visibility
    # map that autovacuum keeps on a live database, so the bench's index-only scans are the real ones.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")


class _Build(OrganisationSteps, RecordSteps):
    """Plans and writes one scale; `run()` does it all inside the caller's transaction."""

    def __init__(self, name: str, spec: ScaleSpec, *, today, say):
        self.name, self.spec, self.sizes, self.say = name, spec, spec.sizes, say
        self.today = today or timezone.localdate()
        self.tz = timezone.get_default_timezone()
        if today is None:
            self.now = timezone.now()
        else:
            self.now = datetime.datetime.combine(today, datetime.time(12), tzinfo=self.tz)
        if self.sizes.months is None:
            self.window_start = datetime.date(self.today.year - 1, 1, 1)
        else:
            first_month = self.today.year * 12 + self.today.month - self.sizes.months
            self.window_start = datetime.date(first_month // 12, first_month % 12 + 1, 1)
        self.years = list(range(self.window_start.year, self.today.year + 1))
        self.years_assessed = [self.today.year - 1, self.today.year]
        self.loader = _Loader(say)
        self.next_id: dict = {}
        self.pinyin = functools.cache(name_index)
        self.generals: list[_Org] = []
        self.branches: list[_Org] = []
        self.people: list[_Person] = []
        self.lessons: list[tuple] = []
        self.missed: dict[int, list] = {}  # lesson index -> [(member id, status)]
        self.attended: dict[int, list] = {}  # member id -> [(lesson id, day)], a sample for notes
        self.done_targets: dict[int, list] = {}  # member id -> [(assignment id, created, completed)]

    # Ids are allocated above each table's largest id, with the tables locked.
    def ids(self, model, count: int) -> range:
        if model not in self.next_id:
            self.next_id[model] = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        first = self.next_id[model]
        self.next_id[model] = first + count
        return range(first, first + count)

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def run(self) -> None:
        models = [
            get_user_model(),
            Branch,
            Venue,
            Member,
            Membership,
            Post,
            OutsideLecturer,
            StudyPlan,
            StudyPlanItem,
            Lesson,
            LessonHost,
            Attendance,
            Assignment,
            AssignmentTarget,
            StudyNote,
            StudyNoteVersion,
            OnlineStudyRecord,
        ]
        if self.loader.postgres:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        self.say(f"构建 {self.name} 规模：{self.sizes}")
        started = time.perf_counter()
        self.plan_organisation()
        self.plan_members()
        self.loader.record("规划党员（姓名、拼音、身份证号、调动）", len(self.people), time.perf_counter() - started)
        with self.loader.constraints_after(models):
            self.write_users()
            self.write_organisation()
            self.write_members()
            self.write_plans()
            self.write_lessons()
            self.write_attendance()
            self.write_assignments()
            self.write_notes()
            self.write_online_records()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
