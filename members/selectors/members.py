"""Read side of members and the organisation: the shapes pages and exports need."""

from django.db.models import Case, Count, Prefetch, Q, QuerySet, When

from branches.models import Branch
from members.models import Member, Membership, Post
from members.permissions import managed_members, roles_for, visible_branches

ACTIVE_STATUSES = (Member.Status.FULL, Member.Status.PROBATIONARY)


def member_list_for_user(user, *, q: str = "", branch=None, status: str = "") -> QuerySet[Member]:
    """Return the members the user manages, filtered and ordered by pinyin."""
    members = managed_members(user).select_related("branch")
    if branch is not None:
        members = members.filter(branch=branch)
    if status:
        members = members.filter(status=status)
    if q:
        members = members.search(q, include_identity=roles_for(user).can_view_identity)
    return members.order_by("name_pinyin", "pk")


def branch_list_with_counts(user) -> QuerySet[Branch]:
    """Return the organisations the user may open, each with its member counts."""
    return (
        visible_branches(user)
        .select_related("parent")
        .annotate(
            member_count=Count("members", filter=Q(members__status__in=ACTIVE_STATUSES)),
            probationary_count=Count("members", filter=Q(members__status=Member.Status.PROBATIONARY)),
        )
        .order_by("sort_order", "code")
    )


def branch_detail(branch: Branch) -> Branch:
    """Return *branch* with counts, its current committee and its venues loaded."""
    rank = Case(*(When(kind=kind, then=i) for i, kind in enumerate(Post.Kind.values)), default=len(Post.Kind.values))
    committee = Post.objects.current().select_related("member").order_by(rank, "start_on")
    return (
        Branch.objects.filter(pk=branch.pk)
        .select_related("parent")
        .annotate(
            member_count=Count("members", filter=Q(members__status__in=ACTIVE_STATUSES), distinct=True),
            probationary_count=Count(
                "members",
                filter=Q(members__status=Member.Status.PROBATIONARY),
                distinct=True,
            ),
        )
        .prefetch_related(Prefetch("posts", queryset=committee, to_attr="current_posts"), "venues")
        .get()
    )


def member_detail(member: Member) -> Member:
    """Return *member* with their current posts and membership history loaded."""
    return (
        Member.objects.filter(pk=member.pk)
        .select_related("branch", "user")
        .prefetch_related(
            Prefetch("posts", queryset=Post.objects.select_related("branch").order_by("-start_on")),
            Prefetch("memberships", queryset=Membership.objects.select_related("branch").order_by("-start_on")),
        )
        .get()
    )
