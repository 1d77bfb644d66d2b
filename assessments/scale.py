"""Large seeded data sets for benchmarks: ``seed_demo --scale city`` and ``--scale province``.

city is a fictional municipal transport bureau (青岚市交通运输局): its Party group, the
bureau's Party committee, 20 general branches of 20 branches each (400 branches), 30
members a branch (12,000), two years of lessons (the previous and the current calendar
year, about 19,000), about 400,000 attendance rows, 150,000 study notes, 50,000 online
study records, assignments with their targets, make-up study for missed lessons and a
study plan per branch and year; then the year-end indicators of both years. province
(青川省交通运输厅) is ten times city and is built only on request.

How it stays fast:

- Every row gets an explicit id, allocated above the table's largest id, so foreign keys
  are known in Python without reading anything back. The sequences are reset afterwards
  (what ``sqlsequencereset`` prints).
- PostgreSQL receives the rows through COPY in chunks. Other databases get bulk_create in
  batches, which is slow but enough for small trials.
- Model ``save()`` never runs, so this module fills the columns it would derive: the pinyin
  search columns of Member, computed once per distinct name.
- Study notes get **no NoteFingerprint rows**. Hashing the shingles of 150,000 notes would
  take most of the build, so the copy check only sees notes written after it.
- Attendance is a sample of each held lesson's audience: about 22 members of the branch
  (every committee member for a committee meeting), plus 10 of the co-host's members for a
  joint lesson. This keeps the table at the size the benchmark asks for.

The build is deterministic. Each part draws from its own random generator, seeded with
SEED, the scale and the part's name, so every run produces the same people (names, ID
numbers, phones) whatever the day. Only dates that follow today move with it: probationary
members' joining dates, and lesson and note statuses.

Running it again once the scale exists (its first organisation's code, e.g. ``city-0001``)
changes nothing.
"""

import datetime
import functools
import io
import math
import random
import time
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from branches.models import Branch, Venue
from members.demo import (
    COMPOUND_SURNAMES,
    DEMO_PASSWORD,
    EDUCATION_IN_SERVICE,
    EDUCATION_RETIRED,
    ETHNICITIES,
    FEMALE_CHARS,
    MALE_CHARS,
    MOBILE_PREFIXES,
    PARTY_GROUPS,
    SURNAMES,
)
from members.identity import id_check_char
from members.models import Member, Membership, Post
from members.permissions import leadership_group
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

from .indicators import indicators_recompute

SEED = 20260707
PASSWORD = DEMO_PASSWORD
COPY_CHUNK = 50_000  # rows per COPY statement
BULK_BATCH = 500  # rows per INSERT where COPY is not available


@dataclass(frozen=True)
class Sizes:
    """How much to build. The presets live in SCALES; tests pass smaller numbers."""

    branches: int
    branches_per_general: int = 20
    members_per_branch: int = 30
    # Months of records up to and including this one; None: since 1 January of the previous
    # year. Lessons go on (published, then drafts) to the end of the current year.
    months: int | None = None
    lessons_per_month: int = 2  # per branch
    audience_sample: int = 22  # attendance rows per held lesson, from the branch's members
    joint_share: float = 0.05
    joint_sample: int = 10  # co-host members added to a joint lesson's attendance
    transfer_share: float = 0.02
    notes_per_member_month: float = 0.55
    linked_note_share: float = 0.5  # of assignments done, how many have their note linked
    online_per_member_month: float = 0.18
    assignments_per_quarter: int = 2  # per branch
    users: int = 300
    branches_per_venue: int = 5

    def __post_init__(self):
        if self.branches < 1 or self.members_per_branch < 5 or not 1 <= (self.months or 1) <= 36:
            raise ValueError("A scale needs a branch, five members a branch and 1–36 months.")


@dataclass(frozen=True)
class ScaleSpec:
    sizes: Sizes
    bureau: str  # the organisation's name; branch names start with `area`
    area: str
    region: str  # first four digits of the members' ID numbers (no real prefecture uses them)
    email_domain: str
    phone_offset: int


SCALES = {
    "city": ScaleSpec(Sizes(branches=400), "青岚市交通运输局", "青岚市", "5135", "qljt.example", 12_345_678),
    "province": ScaleSpec(
        Sizes(branches=4000, users=3000), "青川省交通运输厅", "青川省", "5136", "qcjt.example", 87_654_321
    ),
}

BENCH_LOGINS = (
    # (username, role shown by seed_demo, position in the first branch)
    ("bench_secretary", "支部书记", 0),
    ("bench_member", "党员", 3),
    ("bench_leader", "党组（领导）", 4),
)
LEADER_USERNAME = "bench_leader"
COMMITTEE_POSTS = (
    (Post.Kind.SECRETARY, "支部书记"),
    (Post.Kind.ORGANISING, "组织委员"),
    (Post.Kind.PUBLICITY, "宣传委员"),
)

# --- word lists ------------------------------------------------------------

AREAS = (
    "东城区",
    "西城区",
    "南湖区",
    "北山区",
    "高新区",
    "临江县",
    "青石县",
    "云台县",
    "白水县",
    "松林县",
    "安平县",
    "桃源县",
    "龙泉县",
    "长宁县",
    "清河县",
    "永丰县",
    "石门县",
    "红岩县",
    "金沙县",
    "丰乐县",
)
UNITS = (
    "交通运输局",
    "公路事业发展中心",
    "道路运输服务中心",
    "交通运输综合行政执法大队",
    "公路养护中心",
    "交通建设工程质量监督站",
    "港航管理站",
    "农村公路管理所",
    "客运站",
    "交通运输规划研究所",
    "交通应急指挥中心",
    "物流发展服务中心",
)
DEPARTMENTS = (
    "办公室",
    "人事科",
    "财务科",
    "规划科",
    "建设科",
    "安全科",
    "养护一队",
    "养护二队",
    "路政科",
    "运政科",
    "法制科",
    "信息中心",
    "应急队",
    "质检科",
    "综合科",
)
JOB_POSTS = ("科员", "一级科员", "四级主任科员", "副科长", "工程师", "助理工程师", "执法队员", "会计", "驾驶员")
SECRETARY_JOBS = ("科长", "副主任", "队长", "站长", "所长")
EXPERTISE = ("公文写作", "党务工作", "道路工程", "桥梁养护", "安全生产", "行政执法", "法律", "财务管理", "信息化")
CN_DIGITS = "零一二三四五六七八九"

STUDY_TOPICS = (
    "学习贯彻党的二十大精神",
    "《中国共产党章程》",
    "《中国共产党纪律处分条例》",
    "习近平新时代中国特色社会主义思想",
    "党史学习教育",
    "新时代交通强国建设",
    "作风建设与群众路线",
    "安全生产责任制",
    "优化营商环境",
    "乡村振兴与农村公路",
    "廉洁自律准则",
    "意识形态工作责任制",
    "依法行政与执法规范",
    "基层党组织建设",
    "总体国家安全观",
    "生态文明建设",
)
LESSON_KINDS = (
    # (kind, weight, format, title prefix)
    (Lesson.Kind.CENTRAL_STUDY, 20, Lesson.Format.LECTURE, "集中学习"),
    (Lesson.Kind.PARTY_LESSON, 12, Lesson.Format.LECTURE, "专题党课"),
    (Lesson.Kind.THEME_DAY, 14, Lesson.Format.INTERACTIVE, "主题党日"),
    (Lesson.Kind.MEMBERS_MEETING, 8, Lesson.Format.SEMINAR, "党员大会"),
    (Lesson.Kind.COMMITTEE_MEETING, 8, Lesson.Format.SEMINAR, "支委会"),
    (Lesson.Kind.GROUP_MEETING, 6, Lesson.Format.SEMINAR, "党小组会"),
    (Lesson.Kind.ORG_LIFE_MEETING, 3, Lesson.Format.SEMINAR, "组织生活会"),
    (Lesson.Kind.SEMINAR, 6, Lesson.Format.SEMINAR, "专题研讨"),
    (Lesson.Kind.RED_FILM, 5, Lesson.Format.INTERACTIVE, "红色电影"),
    (Lesson.Kind.EXPERT_LECTURE, 5, Lesson.Format.LECTURE, "专家讲座"),
    (Lesson.Kind.OFFSITE_VISIT, 4, Lesson.Format.FIELD, "现场教学"),
    (Lesson.Kind.BOOK_SHARING, 5, Lesson.Format.INTERACTIVE, "读书分享"),
    (Lesson.Kind.ONLINE_COURSE, 4, Lesson.Format.ONLINE, "网络课程"),
)
KIND_PREFIX = {kind: prefix for kind, _w, _f, prefix in LESSON_KINDS}
KIND_FORMAT = {kind: fmt for kind, _w, fmt, _p in LESSON_KINDS}
MEETINGS = frozenset(
    {
        Lesson.Kind.MEMBERS_MEETING,
        Lesson.Kind.COMMITTEE_MEETING,
        Lesson.Kind.GROUP_MEETING,
        Lesson.Kind.ORG_LIFE_MEETING,
    }
)
LESSON_HOURS = ("1", "1.5", "2", "2", "2", "2.5", "3", "4")
OUTSIDE_PLACES = ("市革命烈士纪念馆", "红军长征纪念馆", "市廉政教育基地", "交通运输发展成就展馆", "乡村振兴示范村")
OUTSIDE_LECTURERS = (
    ("林思远", "中共青岚市委党校", "教授", "党史,党章党规"),
    ("宋雅琴", "中共青岚市委党校", "副教授", "理论宣讲"),
    ("郭振华", "青岚交通职业技术学院", "教授", "交通运输管理"),
    ("邓晓梅", "市纪委监委宣传部", "", "廉政教育"),
    ("唐国栋", "青岚大学马克思主义学院", "副教授", "马克思主义理论"),
    ("钟立新", "市应急管理局", "高级工程师", "安全生产"),
)
LEAVE_REASONS = ("出差", "病假", "值班", "外出执法", "参加培训", "家中有事")
NOTE_SENTENCES = (
    "通过这次学习，我对党的创新理论有了更加系统的认识。",
    "作为一名交通运输系统的党员，要把学习成果转化为推动工作的实际行动。",
    "结合本职岗位，我认真查找了自身在工作作风方面存在的差距。",
    "要始终坚持以人民为中心的发展思想，办好群众身边的交通实事。",
    "学习中我深刻体会到，纪律是党的生命线，必须严守纪律规矩。",
    "今后要进一步增强安全意识，守牢安全生产底线。",
    "我将继续加强理论学习，做到学思用贯通、知信行统一。",
    "在学习过程中，我重点研读了原文，并做了摘抄和批注。",
    "支部组织的讨论让我受益匪浅，同志们的发言给了我很多启发。",
    "要发挥党员先锋模范作用，在急难险重任务面前冲锋在前。",
    "农村公路建设关系群众出行，我们要把好事办好、实事办实。",
    "我认识到理论学习不能停留在表面，必须入脑入心。",
    "下一步，我将对照党章党规，经常检视自己的言行。",
    "要把学习成效体现在提升服务质量和办事效率上。",
    "我将把这次学习的收获运用到项目管理和日常工作中去。",
    "只有不断学习，才能跟上新时代交通运输发展的步伐。",
)
REVIEW_COMMENTS = {
    "excellent": "体会深刻，联系实际紧密。",
    "good": "内容完整，可再结合本职工作谈谈打算。",
    "pass": "请进一步深化认识。",
    "returned": "请补充学习原文的要点，并结合岗位实际谈体会。",
}
ONLINE_COURSES = tuple(f"{topic}（第{CN_DIGITS[n]}讲）" for topic in STUDY_TOPICS for n in (1, 2, 3))
ASSIGNMENT_READING = (
    "《习近平谈治国理政》第四卷",
    "《中国共产党简史》",
    "《论党的自我革命》",
    "《中国共产党纪律处分条例》",
    "《交通强国建设纲要》",
    "《习近平关于调查研究论述摘编》",
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
        loader.timed("ANALYZE", lambda: _analyze(dict.fromkeys(loader.tables)), rows=None)
    indicators = {}
    for year in build.years_assessed:
        t0 = time.perf_counter()
        assessed = indicators_recompute(year, today=build.today)
        indicators[year] = (assessed, time.perf_counter() - t0)
        loader.record(f"indicators_recompute({year})", assessed, indicators[year][1])
    if loader.postgres:
        loader.timed("ANALYZE", lambda: _analyze(["assessments_yearendassessment"]), rows=None)
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
    for username, role, _index in BENCH_LOGINS:
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


def _analyze(tables) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# --- loading rows ----------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value.__class__ is str:
        return value.translate(_COPY_ESCAPES)
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)  # int, Decimal, date, aware datetime ("… 14:00:00+08:00"), UUID


class _Loader:
    """Write rows fast, COPY on PostgreSQL and bulk_create elsewhere, and time each table."""

    def __init__(self, say):
        self.say = say
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self.timings: list[tuple[str, int | None, float]] = []
        self.tables: list[str] = []

    def load(self, model, fields: list[str], rows) -> int:
        """Write *rows* (tuples in the order of *fields*, attribute names) into *model*'s table."""
        return self.load_many({model: fields}, ((model, row) for row in rows))[model]

    def load_many(self, fields_by_model: dict, tagged_rows) -> dict:
        """Write (model, row) pairs into several tables at once, e.g. notes with their versions."""
        started = time.perf_counter()
        buffers = {model: [] for model in fields_by_model}
        written = dict.fromkeys(fields_by_model, 0)
        for model, row in tagged_rows:
            buffer = buffers[model]
            buffer.append(row)
            if len(buffer) >= COPY_CHUNK:
                self._write(model, fields_by_model[model], buffer)
                written[model] += len(buffer)
                buffer.clear()
        for model, buffer in buffers.items():
            if buffer:
                self._write(model, fields_by_model[model], buffer)
                written[model] += len(buffer)
        elapsed = time.perf_counter() - started
        for model, count in written.items():
            table = model._meta.db_table
            self.tables.append(table)
            self.counts[table] = self.counts.get(table, 0) + count
        if len(written) == 1:
            label = next(iter(written))._meta.db_table
        else:
            label = " + ".join(f"{model._meta.db_table}（{count:,}）" for model, count in written.items())
        self.record(label, sum(written.values()), elapsed)
        return written

    def _write(self, model, fields, rows) -> None:
        if not self.postgres:
            objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
            model.objects.bulk_create(objects, batch_size=BULK_BATCH)
            return
        columns = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in fields)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        data = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, io.StringIO(data))
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(data)

    def timed(self, label, work, *, rows):
        started = time.perf_counter()
        result = work()
        self.record(label, rows, time.perf_counter() - started)
        return result

    def record(self, label: str, rows: int | None, seconds: float) -> None:
        self.timings.append((label, rows, seconds))
        count = "" if rows is None else f"{rows:,} 行，"
        self.say(f"  {label}：{count}{seconds:.1f} 秒")

    def table(self, total: float) -> str:
        """The timings as a table; CJK characters take two columns in a terminal."""
        rows = [("步骤", "行数", "秒")]
        rows += [(label, "" if n is None else f"{n:,}", f"{s:.1f}") for label, n, s in self.timings]
        rows.append(("合计（写入行数 / 总耗时）", f"{sum(self.counts.values()):,}", f"{total:.1f}"))
        width = max(_width(label) for label, _n, _s in rows)
        return "\n".join(f"{label}{' ' * (width - _width(label))} {n:>12} {s:>8}" for label, n, s in rows)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# --- the build -------------------------------------------------------------


@dataclass(slots=True)
class _Org:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    unit: str = ""  # the work unit of a branch's members
    general: int = -1  # index of a branch's general branch
    venue_id: int | None = None
    # (member id, first day, last day) as ordinals, one per membership in this branch
    periods: list = field(default_factory=list)
    committee: list = field(default_factory=list)  # members holding the posts, in COMMITTEE_POSTS order


@dataclass(slots=True)
class _Person:
    id: int
    branch: int  # index in _Build.branches, the branch now
    index: int  # position in the first branch
    surname: str
    given_name: str
    fields: dict
    username: str | None = None
    user_id: int | None = None
    transfer: tuple | None = None  # (new branch index, day)
    active_from: int = 0  # ordinal of the first day in the organisation


def _rng(name: str, part: str) -> random.Random:
    return random.Random(f"{SEED}:{name}:{part}")


def _day_between(rng, first: datetime.date, last: datetime.date) -> datetime.date:
    """A day in [first, last]; always one draw, so later draws do not depend on the span."""
    span = (last - first).days
    return first + datetime.timedelta(days=int(rng.random() * (span + 1)) if span > 0 else 0)


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _cn_number(n: int) -> str:
    """1–99 in Chinese numerals: 1 一, 10 十, 12 十二, 20 二十."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def _weighted(rng, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


class _Build:
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

    # --- organisation ------------------------------------------------------

    def plan_organisation(self) -> None:
        sizes, spec = self.sizes, self.spec
        n_general = math.ceil(sizes.branches / sizes.branches_per_general)
        ids = iter(self.ids(Branch, 2 + n_general + sizes.branches))
        serial = iter(range(1, 10**6))

        def org(name, kind, parent, **extra):
            return _Org(next(ids), f"{self.name}-{next(serial):04d}", name, kind, parent, **extra)

        self.party_group = org(f"{spec.bureau}党组", Branch.Kind.PARTY_GROUP, None)
        self.committee = org(f"{spec.bureau}机关党委", Branch.Kind.COMMITTEE, self.party_group.id)
        for g in range(n_general):
            area, unit = AREAS[g % len(AREAS)], UNITS[(g // len(AREAS)) % len(UNITS)]
            cycle = g // (len(AREAS) * len(UNITS))
            unit_name = f"{spec.area}{area}{unit}" + (f"（{cycle + 1}）" if cycle else "")
            self.generals.append(
                org(f"{unit_name}党总支", Branch.Kind.GENERAL_BRANCH, self.committee.id, unit=unit_name)
            )
        for b in range(sizes.branches):
            g, n = divmod(b, sizes.branches_per_general)
            general = self.generals[g]
            number = _cn_number(n + 1) if n < 99 else str(n + 1)
            self.branches.append(
                org(f"{general.unit}第{number}党支部", Branch.Kind.BRANCH, general.id, unit=general.unit, general=g)
            )

    def write_organisation(self) -> None:
        rng = _rng(self.name, "organisation")
        orgs = [self.party_group, self.committee, *self.generals, *self.branches]
        rows = []
        for order, org in enumerate(orgs, start=1):
            if org.kind == Branch.Kind.BRANCH:
                served = "、".join(rng.sample(DEPARTMENTS, rng.randint(1, 3)))
            else:
                served = org.unit or self.spec.bureau
            founded = _day_between(rng, datetime.date(1980, 1, 1), datetime.date(2018, 12, 31))
            rows.append((org.id, org.code, org.name, org.kind, org.parent_id, served, founded, True, min(order, 32767)))
        fields = ["id", "code", "name", "kind", "parent_id", "units_served", "founded_on", "is_active", "sort_order"]
        self.loader.load(Branch, fields, rows)

        groups = range(0, len(self.branches), self.sizes.branches_per_venue)
        venue_ids = iter(self.ids(Venue, len(groups)))
        venues = []
        for start in groups:
            owner = self.branches[start]
            venue_id = next(venue_ids)
            for branch in self.branches[start : start + self.sizes.branches_per_venue]:
                branch.venue_id = venue_id
            projector = rng.random() < 0.8
            venues.append(
                (
                    venue_id,
                    owner.id,
                    f"{owner.name}党员活动室",
                    f"{owner.unit}办公楼{rng.randint(1, 6)}楼",
                    rng.choice((20, 30, 40, 60, 80)),
                    projector,
                    projector or rng.random() < 0.5,
                    rng.random() < 0.3,
                    rng.random() < 0.85,
                )
            )
        fields = ["id", "owner_id", "name", "address", "capacity", "has_projector", "has_network", "has_video_link"]
        self.loader.load(Venue, [*fields, "is_shareable"], venues)

    # --- members, memberships, posts, users ---------------------------------

    def plan_members(self) -> None:
        """Plan every member; the draws do not depend on today, so names and IDs never change."""
        rng = _rng(self.name, "members")
        sizes = self.sizes
        # Full members joined before the records begin.
        settled = min(self.window_start, datetime.date(self.today.year - 1, 1, 1)) - datetime.timedelta(days=1)
        used_ids: set[str] = set()
        ids = iter(self.ids(Member, sizes.branches * sizes.members_per_branch))
        for b, branch in enumerate(self.branches):
            for index in range(sizes.members_per_branch):
                person = self._plan_person(rng, next(ids), len(self.people), b, index, used_ids)
                self.people.append(person)
                if index < len(COMMITTEE_POSTS):
                    branch.committee.append(person)
        # Dates that follow today come from their own generator.
        dates = _rng(self.name, "member-dates")
        for person in self.people:
            f = person.fields
            if f["status"] == Member.Status.PROBATIONARY:
                f["joined_party_on"] = self.today - datetime.timedelta(days=dates.randint(30, 330))
                f["full_member_on"] = None
            else:
                earliest = _add_years(f["birth_date"], 18)
                latest = min(_add_years(f["birth_date"], 35), settled)
                f["joined_party_on"] = _day_between(dates, earliest, latest)
                f["full_member_on"] = f["joined_party_on"] + datetime.timedelta(days=365 + dates.randint(0, 30))
            person.active_from = f["joined_party_on"].toordinal()
        self._plan_users()
        self._plan_transfers(_rng(self.name, "transfers"))
        for person in self.people:
            if person.transfer is None:
                self.branches[person.branch].periods.append((person.id, person.active_from, 10**7))

    def _plan_person(self, rng, member_id, serial, b, index, used_ids) -> _Person:
        branch, spec = self.branches[b], self.spec
        gender = Member.Gender.MALE if rng.random() < 0.6 else Member.Gender.FEMALE
        chars = MALE_CHARS if gender == Member.Gender.MALE else FEMALE_CHARS
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
        given_name = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.65 else "")
        post = index < len(COMMITTEE_POSTS)
        probationary = not post and rng.random() < 0.03
        retired = not post and not probationary and rng.random() < 0.08
        if probationary:
            birth = _day_between(rng, datetime.date(1994, 1, 1), datetime.date(2002, 12, 31))
        elif retired:
            birth = _day_between(rng, datetime.date(1945, 1, 1), datetime.date(1964, 12, 31))
        elif post:
            birth = _day_between(rng, datetime.date(1970, 1, 1), datetime.date(1986, 12, 31))
        else:
            birth = _day_between(rng, datetime.date(1963, 1, 1), datetime.date(2000, 12, 31))
        if rng.random() < 0.85:
            region = f"{spec.region}{branch.general % 20 + 1:02d}"
        else:
            region = f"{spec.region}{rng.randint(21, 99):02d}"
        parities = "13579" if gender == Member.Gender.MALE else "02468"
        while True:
            first17 = f"{region}{birth:%Y%m%d}{rng.randrange(100):02d}{rng.choice(parities)}"
            id_number = first17 + id_check_char(first17)
            if id_number not in used_ids:
                used_ids.add(id_number)
                break
        # An affine map of the serial is a bijection on eight digits: phones are unique.
        suffix = (serial * 7_340_033 + spec.phone_offset) % 10**8
        phone = rng.choice(MOBILE_PREFIXES) + f"{suffix:08d}"
        landline = f"0835-{rng.randint(2_000_000, 8_999_999)}" if rng.random() < 0.3 else ""
        if post:
            job_post, party_title = rng.choice(SECRETARY_JOBS), COMMITTEE_POSTS[index][1]
        else:
            job_post, party_title = ("退休干部" if retired else rng.choice(JOB_POSTS)), ""
        if b == 0 and index == BENCH_LOGINS[2][2]:
            job_post = "党组成员、副局长"
        expertise = ",".join(rng.sample(EXPERTISE, rng.randint(1, 2))) if rng.random() < 0.3 else ""
        full_name = surname + given_name
        name_pinyin, name_initials = self.pinyin(full_name)
        fields = {
            "full_name": full_name,
            "name_pinyin": name_pinyin,
            "name_initials": name_initials,
            "gender": gender,
            "ethnicity": _weighted(rng, ETHNICITIES),
            "birth_date": birth,
            "education": _weighted(rng, EDUCATION_RETIRED if retired else EDUCATION_IN_SERVICE),
            "id_number": id_number,
            "phone": phone,
            "landline": landline,
            "category": "离退休" if retired else "在职",
            "status": Member.Status.PROBATIONARY if probationary else Member.Status.FULL,
            "work_unit": branch.unit + ("（退休）" if retired else ""),
            "job_post": job_post,
            "party_title": party_title,
            "party_group": PARTY_GROUPS[rng.randrange(len(PARTY_GROUPS))],
            "expertise": expertise,
        }
        return _Person(member_id, b, index, surname, given_name, fields)

    def _plan_users(self) -> None:
        """Accounts: the bench logins, then each branch's secretary and one member, up to `users`."""
        per_branch = self.sizes.members_per_branch
        wanted = [(username, position) for username, _role, position in BENCH_LOGINS]
        for b in range(1, len(self.branches)):
            wanted.append((f"{self.name}_s{b + 1:04d}", b * per_branch))
            wanted.append((f"{self.name}_m{b + 1:04d}", b * per_branch + 3))
        wanted = wanted[: max(self.sizes.users, len(BENCH_LOGINS))]
        taken = set(
            get_user_model().objects.filter(username__in=[u for u, _p in wanted]).values_list("username", flat=True)
        )
        if taken:
            self.say(f"  这些用户名已被占用，对应党员不建账号：{'、'.join(sorted(taken))}")
        for username, position in wanted:
            if username not in taken:
                self.people[position].username = username

    def _plan_transfers(self, rng) -> None:
        """Move a few full members to another branch during the window: one membership closes, one opens."""
        first = self.window_start + datetime.timedelta(days=60)
        last = self.today - datetime.timedelta(days=14)
        eligible = [
            p
            for p in self.people
            if p.index >= len(COMMITTEE_POSTS) and p.username is None and p.fields["status"] == Member.Status.FULL
        ]
        if first > last or len(self.branches) < 2 or not eligible or self.sizes.transfer_share <= 0:
            return
        count = max(1, round(len(self.people) * self.sizes.transfer_share))
        for person in rng.sample(eligible, min(count, len(eligible))):
            target = rng.randrange(len(self.branches) - 1)
            target += target >= person.branch
            day = _day_between(rng, first, last)
            old = self.branches[person.branch]
            old.periods.append((person.id, person.active_from, day.toordinal() - 1))
            self.branches[target].periods.append((person.id, day.toordinal(), 10**7))
            person.transfer = (person.branch, day)
            person.branch = target

    def write_users(self) -> None:
        User = get_user_model()
        holders = [p for p in self.people if p.username]
        password = make_password(PASSWORD)  # hashed once: every account shares the published password
        for person, user_id in zip(holders, self.ids(User, len(holders)), strict=True):
            person.user_id = user_id
        rows = (
            (
                p.user_id,
                password,
                False,
                p.username,
                p.given_name,
                p.surname,
                f"{p.username}@{self.spec.email_domain}",
                False,
                True,
                self.now,
            )
            for p in holders
        )
        fields = ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff"]
        self.loader.load(User, [*fields, "is_active", "date_joined"], rows)
        leader = next((p for p in holders if p.username == LEADER_USERNAME), None)
        if leader is not None:
            User.groups.through.objects.create(user_id=leader.user_id, group_id=leadership_group().pk)

    def write_members(self) -> None:
        person_fields = list(self.people[0].fields)

        def rows():
            for p in self.people:
                email = f"{p.username}@{self.spec.email_domain}" if p.username else ""
                branch_id = self.branches[p.branch].id
                yield (p.id, branch_id, p.user_id, email, self.now, self.now, *(p.fields[f] for f in person_fields))

        head = ["id", "branch_id", "user_id", "email", "created_at", "updated_at"]
        self.loader.load(Member, head + person_fields, rows())

        def memberships():
            for p in self.people:
                joined = p.fields["joined_party_on"]
                if p.transfer is None:
                    yield (p.id, self.branches[p.branch].id, joined, None, "")
                    continue
                old, day = p.transfer
                old_branch, new_branch = self.branches[old], self.branches[p.branch]
                yield (p.id, old_branch.id, joined, day - datetime.timedelta(days=1), f"转出至{new_branch.name}")
                yield (p.id, new_branch.id, day, None, f"由{old_branch.name}转入")

        periods = list(memberships())
        ids = self.ids(Membership, len(periods))
        fields = ["id", "member_id", "branch_id", "start_on", "end_on", "note"]
        self.loader.load(Membership, fields, ((i, *row) for i, row in zip(ids, periods, strict=True)))

        posts_from = datetime.date(self.today.year - 2, 1, 1)
        posts = [
            (branch.id, person.id, kind)
            for branch in self.branches
            for person, (kind, _title) in zip(branch.committee, COMMITTEE_POSTS, strict=True)
        ]
        ids = self.ids(Post, len(posts))
        rows = ((i, m, b, k, posts_from, None) for i, (b, m, k) in zip(ids, posts, strict=True))
        self.loader.load(Post, ["id", "member_id", "branch_id", "kind", "start_on", "end_on"], rows)

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


_KIND_WEIGHTS = tuple((kind, weight) for kind, weight, _f, _p in LESSON_KINDS)
_KIND_WEIGHTS_NO_COMMITTEE = tuple((k, w) for k, w in _KIND_WEIGHTS if k != Lesson.Kind.COMMITTEE_MEETING)
