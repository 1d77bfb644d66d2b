"""Sizes, presets and small helpers shared by every step of a scale build."""

import datetime
import random
from dataclasses import dataclass, field

from demo.members import (
    DEMO_PASSWORD,
)
from demo.scale.words import CN_DIGITS
from members.models import Post

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
    # Also secretary of the first 党总支: manages its twenty branches.
    ("bench_gb_secretary", "党总支书记", 1),
)
LEADER_USERNAME = "bench_leader"
GB_SECRETARY_POSITION = 1  # in the first branch of each 党总支: its organising member holds the 总支 post
# The second bureau's leadership, scoped to its tree: (username, role, position in its first branch).
SECOND_LEADER = ("bench_leader2", "第二局领导（限本局）", 4)
COMMITTEE_POSTS = (
    (Post.Kind.SECRETARY, "支部书记"),
    (Post.Kind.ORGANISING, "组织委员"),
    (Post.Kind.PUBLICITY, "宣传委员"),
)

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
