"""Two more demo logins worth trying: a member of the second branch and a committee member who is not secretary."""

from branches.models import Branch
from demo.members import DEMO_PASSWORD
from members.models import Member, Post


def extra_logins() -> list[dict]:
    """Return the logins to print beside the fixed demo accounts, found in the seeded data."""
    branches = list(Branch.objects.filter(kind=Branch.Kind.BRANCH).order_by("sort_order", "code")[:2])
    if len(branches) < 2:
        return []
    first, second = branches
    posts = Post.objects.current().filter(member__user__isnull=False)
    logins = []
    plain = (
        Member.objects.filter(branch=second, user__isnull=False, user__is_staff=False)
        .exclude(pk__in=posts.values("member_id"))
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if plain is not None:
        logins.append(_row(plain, f"党员（{second.name}）"))
    committee = (
        posts.filter(branch=first, kind__in=[Post.Kind.ORGANISING, Post.Kind.PUBLICITY])
        .select_related("member__user")
        .order_by("member__user__username")
        .first()
    )
    if committee is not None:
        logins.append(_row(committee.member, f"{committee.get_kind_display()}（{first.name}）"))
    return logins


def _row(member: Member, role: str) -> dict:
    return {
        "username": member.user.get_username(),
        "password": DEMO_PASSWORD,
        "role": role,
        "member": f"{member.branch.name} {member.full_name}",
    }
