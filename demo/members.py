"""Build the demo organisation: 云溪县交通运输局, a fictional county transport bureau.

Everything is generated from one seeded random generator, so every run plans
the same people. Seeding only fills gaps: whatever already exists (matched on
branch code, venue owner and name, ID number, username, post holder and kind)
is left as it is, so running it again changes nothing and edits made through
the app survive.
"""

import datetime
import functools
import random
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from branches.models import Branch, Venue
from members.identity import id_check_char
from members.models import Member, Membership, Post
from members.permissions import leadership_group

SEED = 20261127
DEMO_PASSWORD = "dangyuan-2026"
EMAIL_DOMAIN = "yxjt.example"
POSTS_START_ON = datetime.date(2024, 1, 1)
# Full members joined early enough to have finished the one-year probation
# whatever day the demo is seeded.
FULL_MEMBERS_JOINED_BY = datetime.date(2024, 6, 30)
COMMITTEE_JOINED_BY = datetime.date(2020, 12, 31)

IN_SERVICE = "在职"
RETIRED = "离退休"

# Region codes that no real county uses, so a generated ID number cannot be a
# real person's.
HOME_REGION = "513491"
OTHER_REGIONS = ("513492", "513495")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严武戴孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "司马")
MALE_CHARS = "伟强军磊勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林兵建国志文海峰亮成东晨洋"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂丹萍红梅琳雪婷慧莉倩颖洁佳琴云月欣悦蓉秀兰英晶"
MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "187",
    "188",
    "189",
    "191",
    "199",
)
ETHNICITIES = (("汉族", 88), ("彝族", 6), ("回族", 3), ("藏族", 3))
EDUCATION_IN_SERVICE = (("大学本科", 55), ("研究生", 10), ("大专", 25), ("高中", 10))
EDUCATION_RETIRED = (("高中", 40), ("大专", 35), ("大学本科", 25))
PARTY_GROUPS = ("第一党小组", "第二党小组", "第三党小组")
COMMITTEE = (
    (Post.Kind.SECRETARY, "支部书记"),
    (Post.Kind.ORGANISING, "组织委员"),
    (Post.Kind.PUBLICITY, "宣传委员"),
)


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    kind: str
    parent: str | None
    units_served: str
    founded_on: datetime.date
    sort_order: int
    # How to populate a branch; organisations above branches have no members.
    size: int = 0
    work_unit: str = ""
    secretary_job: str = ""
    job_posts: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    male_share: float = 0.6
    probationary: int = 0


ORGANISATION = (
    OrgSpec(
        "dz",
        "云溪县交通运输局党组",
        Branch.Kind.PARTY_GROUP,
        None,
        "云溪县交通运输局",
        datetime.date(1984, 3, 1),
        1,
    ),
    OrgSpec(
        "jgdw",
        "云溪县交通运输局机关党委",
        Branch.Kind.COMMITTEE,
        "dz",
        "局机关及局属事业单位",
        datetime.date(1986, 7, 1),
        2,
    ),
    OrgSpec(
        "jg1",
        "机关第一支部",
        Branch.Kind.BRANCH,
        "jgdw",
        "局办公室、人事股、党建工作办公室",
        datetime.date(1986, 7, 1),
        10,
        size=22,
        work_unit="云溪县交通运输局机关",
        secretary_job="办公室主任",
        job_posts=("科员", "一级科员", "四级主任科员", "副股长", "文秘"),
        expertise=("公文写作", "党务工作", "宣传报道", "信息化", "档案管理"),
        male_share=0.55,
    ),
    OrgSpec(
        "jg2",
        "机关第二支部",
        Branch.Kind.BRANCH,
        "jgdw",
        "局规划建设股、财务审计股、安全应急股",
        datetime.date(1998, 5, 1),
        20,
        size=20,
        work_unit="云溪县交通运输局机关",
        secretary_job="规划建设股股长",
        job_posts=("科员", "一级科员", "四级主任科员", "副股长", "会计", "统计员"),
        expertise=("财务管理", "工程造价", "安全生产", "统计", "法律"),
        male_share=0.55,
        probationary=1,
    ),
    OrgSpec(
        "ysgl",
        "运输管理所支部",
        Branch.Kind.BRANCH,
        "jgdw",
        "云溪县道路运输管理所",
        datetime.date(1992, 9, 1),
        30,
        size=18,
        work_unit="云溪县道路运输管理所",
        secretary_job="所长",
        job_posts=("运管员", "客运管理员", "货运管理员", "驾培管理员", "副所长"),
        expertise=("道路运输管理", "安全生产", "现代物流", "驾驶培训"),
        male_share=0.6,
        probationary=1,
    ),
    OrgSpec(
        "glyh",
        "公路养护中心支部",
        Branch.Kind.BRANCH,
        "jgdw",
        "云溪县公路养护中心",
        datetime.date(1988, 4, 1),
        40,
        size=20,
        work_unit="云溪县公路养护中心",
        secretary_job="主任",
        job_posts=("养护工程师", "桥梁工程师", "养护工", "路政员", "机械操作员", "副主任"),
        expertise=("道路工程", "桥梁养护", "安全生产", "应急抢险", "工程机械"),
        male_share=0.75,
        probationary=1,
    ),
    OrgSpec(
        "zljd",
        "质量监督站支部",
        Branch.Kind.BRANCH,
        "jgdw",
        "云溪县交通建设工程质量监督站",
        datetime.date(2003, 11, 1),
        50,
        size=12,
        work_unit="云溪县交通建设工程质量监督站",
        secretary_job="站长",
        job_posts=("质监工程师", "试验检测员", "副站长", "资料员"),
        expertise=("工程质量", "试验检测", "道路工程", "工程造价"),
        male_share=0.65,
    ),
    OrgSpec(
        "jtzf",
        "交通执法大队支部",
        Branch.Kind.BRANCH,
        "jgdw",
        "云溪县交通运输综合行政执法大队",
        datetime.date(2019, 6, 1),
        60,
        size=16,
        work_unit="云溪县交通运输综合行政执法大队",
        secretary_job="大队长",
        job_posts=("执法队员", "中队长", "副大队长", "法制审核员"),
        expertise=("行政执法", "法律", "安全生产", "治超"),
        male_share=0.75,
        probationary=1,
    ),
    OrgSpec(
        "tx",
        "退休党员支部",
        Branch.Kind.BRANCH,
        "jgdw",
        "局机关及局属单位离退休党员",
        datetime.date(2008, 10, 1),
        70,
        size=12,
        work_unit="云溪县交通运输局（退休）",
        secretary_job="人事股副股长（老干部工作）",
        job_posts=("退休干部", "退休职工"),
        expertise=("党史", "书法", "摄影", "红色故事宣讲"),
        male_share=0.6,
    ),
)

VENUES = (
    (
        "jg1",
        "局机关三楼党员活动室",
        {
            "address": "云溪县滨河路18号交通运输局三楼",
            "capacity": 60,
            "has_projector": True,
            "has_network": True,
            "has_video_link": True,
            "is_shareable": True,
        },
    ),
    (
        "glyh",
        "公路养护中心会议室",
        {
            "address": "云溪县城北工业路6号公路养护中心二楼",
            "capacity": 40,
            "has_projector": True,
            "has_network": True,
            "has_video_link": False,
            "is_shareable": True,
        },
    ),
    (
        "ysgl",
        "运输管理所党员之家",
        {
            "address": "云溪县客运站路2号运输管理所一楼",
            "capacity": 25,
            "has_projector": False,
            "has_network": True,
            "has_video_link": False,
            "is_shareable": False,
        },
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    branch: str  # code of the member's branch; "" for an account without a member
    index: int  # position of the member in that branch's plan


DEMO_LOGINS = (
    DemoLogin("demo_member", "党员", "jg1", 4),
    DemoLogin("demo_secretary", "支部书记", "jg1", 0),
    DemoLogin("demo_secretary2", "支部书记", "ysgl", 0),
    DemoLogin("demo_leader", "党组（领导）", "jg1", 3),
    DemoLogin("admin", "管理员", "", 0),
)
LEADER_USERNAME = "demo_leader"
ADMIN = {"username": "admin", "last_name": "何", "first_name": "明远", "email": f"admin@{EMAIL_DOMAIN}"}


@dataclass(frozen=True)
class MemberPlan:
    branch: str
    surname: str
    given_name: str
    fields: dict
    post: str | None = None
    username: str | None = None


def seed_organisation(*, stdout=None) -> dict:
    """Create whatever part of the demo bureau is missing; return counts and the demo logins."""

    def say(message):
        if stdout is not None:
            stdout.write(message)

    created = Counter()
    with transaction.atomic():
        say("组织架构与活动场所……")
        branches = _seed_branches(created)
        venues = _seed_venues(branches, created)
        say("党员、组织关系与支委……")
        plans = plan_members(timezone.localdate())
        members = _seed_members(plans, branches, created)
        say("登录账号……")
        users = _seed_users(plans, members, created)
    say("完成。")
    return {
        "organisations": len(branches),
        "branches": sum(1 for b in branches.values() if b.kind == Branch.Kind.BRANCH),
        "members": len(members),
        "venues": len(venues),
        "users": len(users),
        "created": {kind: count for kind, count in created.items() if count},
        "logins": [_describe_login(login, plans, members) for login in DEMO_LOGINS],
    }


def plan_members(today: datetime.date) -> list[MemberPlan]:
    """Return the planned members, the same ones on every run.

    Only probationary members' joining dates follow *today*, so that they
    always joined within the last year; the random draws do not depend on it.
    """
    demo_users = {(login.branch, login.index): login.username for login in DEMO_LOGINS}

    def role(org, index, serial):
        post = COMMITTEE[index][0] if index < len(COMMITTEE) else None
        # Every committee member has an account, plus one plain member per branch.
        username = demo_users.get((org.code, index))
        if username is None and (post or index == len(COMMITTEE)):
            username = f"m{serial:04d}"
        return post, index >= org.size - org.probationary, username

    return plan_people(ORGANISATION, role, rng=random.Random(SEED), today=today, used=(set(), set(), set()))


def plan_people(orgs, role, *, rng, today, used) -> list[MemberPlan]:
    """Plan every member of *orgs* in order; *role*(org, index, serial) gives (post, probationary, username).

    *used* is (names, id numbers, phones) already drawn, filled in as members are planned.
    """
    used_names, used_ids, used_phones = used
    plans = []
    for org in orgs:
        for index in range(org.size):
            post, probationary, username = role(org, index, len(plans) + 1)
            plans.append(
                _plan_member(
                    rng,
                    org,
                    index,
                    post=post,
                    probationary=probationary,
                    username=username,
                    today=today,
                    used_names=used_names,
                    used_ids=used_ids,
                    used_phones=used_phones,
                )
            )
    return plans


def _plan_member(rng, org, index, *, post, probationary, username, today, used_names, used_ids, used_phones):
    # The retired branch's secretary is an in-service cadre who looks after retirees.
    retired = org.code == "tx" and post != Post.Kind.SECRETARY
    gender = Member.Gender.MALE if rng.random() < org.male_share else Member.Gender.FEMALE
    surname, given_name = _draw_name(rng, gender, used_names)

    if probationary:
        birth_date = _draw_date(rng, datetime.date(1994, 1, 1), datetime.date(2002, 12, 31))
    elif retired:
        birth_date = _draw_date(rng, datetime.date(1942, 1, 1), datetime.date(1964, 12, 31))
    elif post:
        birth_date = _draw_date(rng, datetime.date(1970, 1, 1), datetime.date(1986, 12, 31))
    else:
        birth_date = _draw_date(rng, datetime.date(1966, 7, 1), datetime.date(2000, 12, 31))

    earliest = _add_years(birth_date, 18)
    latest = min(_add_years(birth_date, 35), COMMITTEE_JOINED_BY if post else FULL_MEMBERS_JOINED_BY)
    joined = _draw_date(rng, earliest, latest)
    full_member_on = joined + datetime.timedelta(days=365 + rng.randint(0, 30))
    probation_days = rng.randint(30, 330)
    if probationary:
        joined, full_member_on = today - datetime.timedelta(days=probation_days), None

    region = HOME_REGION if rng.random() < 0.85 else rng.choice(OTHER_REGIONS)
    id_number = _draw_id_number(rng, region, birth_date, gender, used_ids)
    phone = _draw_phone(rng, used_phones)
    landline = f"0834-62{rng.randint(10000, 99999)}" if rng.random() < 0.3 else ""
    education = _weighted(rng, EDUCATION_RETIRED if retired else EDUCATION_IN_SERVICE)
    ethnicity = _weighted(rng, ETHNICITIES)
    job_post = rng.choice(org.job_posts)
    group_count = 3 if org.size >= 15 else 2
    party_group = PARTY_GROUPS[rng.randrange(group_count)]
    expertise = ""
    if rng.random() < 0.35:
        expertise = ",".join(rng.sample(org.expertise, rng.randint(1, 2)))

    if post == Post.Kind.SECRETARY:
        job_post = org.secretary_job
    elif org.code == "jg1" and index == 3:
        job_post = "党组成员、副局长"
    elif org.code == "jg1" and index == 4:
        job_post = "科员"
    work_unit = "云溪县交通运输局机关" if org.code == "tx" and not retired else org.work_unit

    fields = {
        "full_name": surname + given_name,
        "gender": gender,
        "ethnicity": ethnicity,
        "birth_date": birth_date,
        "education": education,
        "id_number": id_number,
        "phone": phone,
        "landline": landline,
        "email": f"{username}@{EMAIL_DOMAIN}" if username else "",
        "category": RETIRED if retired else IN_SERVICE,
        "joined_party_on": joined,
        "full_member_on": full_member_on,
        "status": Member.Status.PROBATIONARY if probationary else Member.Status.FULL,
        "work_unit": work_unit,
        "job_post": job_post,
        "party_title": dict(COMMITTEE).get(post, ""),
        "party_group": party_group,
        "expertise": expertise,
    }
    return MemberPlan(org.code, surname, given_name, fields, post=post, username=username)


def _seed_branches(created) -> dict[str, Branch]:
    branches = {}
    for org in ORGANISATION:
        branch, was_created = Branch.objects.get_or_create(
            code=org.code,
            defaults={
                "name": org.name,
                "kind": org.kind,
                "parent": branches.get(org.parent),
                "units_served": org.units_served,
                "founded_on": org.founded_on,
                "sort_order": org.sort_order,
            },
        )
        created["branches"] += was_created
        branches[org.code] = branch
    return branches


def _seed_venues(branches, created) -> list[Venue]:
    venues = []
    for owner, name, fields in VENUES:
        venue, was_created = Venue.objects.get_or_create(owner=branches[owner], name=name, defaults=fields)
        created["venues"] += was_created
        venues.append(venue)
    return venues


def _seed_members(plans, branches, created) -> list[Member]:
    members = []
    for plan in plans:
        member, was_created = Member.objects.get_or_create(
            id_number=plan.fields["id_number"],
            defaults={**plan.fields, "branch": branches[plan.branch]},
        )
        created["members"] += was_created
        # A member with any history (a transfer out, say) keeps it as it is.
        if not member.memberships.exists():
            Membership.objects.create(member=member, branch_id=member.branch_id, start_on=member.joined_party_on)
            created["memberships"] += 1
        if plan.post:
            _post, was_created = Post.objects.get_or_create(
                member=member,
                branch=branches[plan.branch],
                kind=plan.post,
                defaults={"start_on": POSTS_START_ON},
            )
            created["posts"] += was_created
        members.append(member)
    return members


def _seed_users(plans, members, created) -> list:
    User = get_user_model()
    # Hashing is slow on purpose; every demo account shares the published password,
    # so hash it once, and only when an account is actually missing.
    password = functools.cache(functools.partial(make_password, DEMO_PASSWORD))

    def get_or_create_user(username, **fields):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, password=password(), **fields)
            created["users"] += 1
        return user

    users = []
    for plan, member in zip(plans, members, strict=True):
        if plan.username is None:
            continue
        user = get_or_create_user(
            plan.username,
            last_name=plan.surname,
            first_name=plan.given_name,
            email=plan.fields["email"],
        )
        if member.user_id is None and not Member.objects.filter(user=user).exists():
            member.user = user
            member.save(update_fields=["user", "updated_at"])
        if plan.username == LEADER_USERNAME:
            user.groups.add(leadership_group())
        users.append(user)
    users.append(
        get_or_create_user(
            ADMIN["username"],
            is_staff=True,
            is_superuser=True,
            **{k: v for k, v in ADMIN.items() if k != "username"},
        )
    )
    return users


def _describe_login(login, plans, members) -> dict:
    who = ""
    for plan, member in zip(plans, members, strict=True):
        if plan.username == login.username:
            who = f"{member.branch.name} {member.full_name}"
            break
    return {"username": login.username, "password": DEMO_PASSWORD, "role": login.role, "member": who}


def _draw_name(rng, gender, used) -> tuple[str, str]:
    chars = MALE_CHARS if gender == Member.Gender.MALE else FEMALE_CHARS
    while True:
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
        given_name = "".join(rng.choice(chars) for _ in range(2 if rng.random() < 0.65 else 1))
        if surname + given_name not in used:
            used.add(surname + given_name)
            return surname, given_name


def _draw_id_number(rng, region, birth_date, gender, used) -> str:
    parities = "13579" if gender == Member.Gender.MALE else "02468"
    while True:
        sequence = f"{rng.randrange(100):02d}{rng.choice(parities)}"
        first17 = f"{region}{birth_date:%Y%m%d}{sequence}"
        id_number = first17 + id_check_char(first17)
        if id_number not in used:
            used.add(id_number)
            return id_number


def _draw_phone(rng, used) -> str:
    while True:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def _draw_date(rng, earliest, latest) -> datetime.date:
    return earliest + datetime.timedelta(days=rng.randint(0, (latest - earliest).days))


def _weighted(rng, choices) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)
