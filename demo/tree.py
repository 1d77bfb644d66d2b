"""A 党总支 in the demo bureau: two branches under it and a general-branch secretary login.

It shows a post above a branch at work: the general-branch secretary manages
both branches below the 党总支 and nothing else. Like the rest of the demo,
it only fills gaps, so running it again changes nothing.
"""

import datetime
import random
from collections import Counter

from django.db import transaction
from django.utils import timezone

from branches.models import Branch
from demo.members import (
    DEMO_PASSWORD,
    POSTS_START_ON,
    OrgSpec,
    _seed_users,
    plan_members,
    plan_people,
)
from members.models import Member, Membership, Post

SEED = 20261129
GB_SECRETARY_USERNAME = "demo_gb_secretary"
PARENT_CODE = "jgdw"
_COMMON = {
    "units_served": "云溪县公路事业发展中心",
    "founded_on": datetime.date(2006, 7, 1),
    "work_unit": "云溪县公路事业发展中心",
    "secretary_job": "中心副主任",
    "job_posts": ("工程师", "养护员", "技术员", "办公室科员", "财务会计"),
    "expertise": ("道路养护", "桥梁检测", "工程造价", "安全生产"),
}
GENERAL_BRANCH = OrgSpec(
    "glzx",
    "云溪县公路事业发展中心党总支",
    Branch.Kind.GENERAL_BRANCH,
    PARENT_CODE,
    sort_order=20,
    size=1,
    **{k: v for k, v in _COMMON.items() if k != "secretary_job"},
    secretary_job="中心主任",
)
CHILDREN = (
    OrgSpec("glzx1", "第一党支部", Branch.Kind.BRANCH, "glzx", sort_order=21, size=6, **_COMMON),
    OrgSpec("glzx2", "第二党支部", Branch.Kind.BRANCH, "glzx", sort_order=22, size=6, **_COMMON),
)


def seed_general_branch() -> dict:
    """Create the 党总支, its two branches, their members and the general-branch secretary; return counts and login."""
    created = Counter()
    today = timezone.localdate()
    # Draw around the bureau's planned people so nobody is drawn twice.
    bureau = plan_members(today)
    used_names = {p.surname + p.given_name for p in bureau}
    used_ids = {p.fields["id_number"] for p in bureau}
    used_phones = {p.fields["phone"] for p in bureau}

    def role(org, index, _serial):
        post = Post.Kind.SECRETARY if index == 0 else None
        username = GB_SECRETARY_USERNAME if org is GENERAL_BRANCH else None
        return post, False, username

    used = (used_names, used_ids, used_phones)
    plans = plan_people((GENERAL_BRANCH, *CHILDREN), role, rng=random.Random(SEED), today=today, used=used)
    with transaction.atomic():
        branches = {PARENT_CODE: Branch.objects.get(code=PARENT_CODE)}
        for org in (GENERAL_BRANCH, *CHILDREN):
            branch, was_created = Branch.objects.get_or_create(
                code=org.code,
                defaults={
                    "name": org.name,
                    "kind": org.kind,
                    "parent": branches[org.parent],
                    "units_served": org.units_served,
                    "founded_on": org.founded_on,
                    "sort_order": org.sort_order,
                },
            )
            created["branches"] += was_created
            branches[org.code] = branch
        members = []
        for plan in plans:
            member, was_created = Member.objects.get_or_create(
                id_number=plan.fields["id_number"], defaults={**plan.fields, "branch": branches[plan.branch]}
            )
            created["members"] += was_created
            if not member.memberships.exists():
                Membership.objects.create(member=member, branch_id=member.branch_id, start_on=member.joined_party_on)
                created["memberships"] += 1
            if plan.post:
                _post, was_created = Post.objects.get_or_create(
                    member=member, branch=branches[plan.branch], kind=plan.post, defaults={"start_on": POSTS_START_ON}
                )
                created["posts"] += was_created
            members.append(member)
        with_login = [(p, m) for p, m in zip(plans, members, strict=True) if p.username]
        _seed_users([p for p, _m in with_login], [m for _p, m in with_login], created)
    secretary = with_login[0][1]
    return {
        "organisations": 1 + len(CHILDREN),
        "members": len(members),
        "created": {kind: count for kind, count in created.items() if count},
        "login": {
            "username": GB_SECRETARY_USERNAME,
            "password": DEMO_PASSWORD,
            "role": "党总支书记",
            "member": f"{branches[GENERAL_BRANCH.code].name} {secretary.full_name}",
        },
    }
