"""Every access rule of the project: roles derive from posts and the leadership group.

Another branch's object answers 404 (its existence is not revealed); a role
that is too weak answers 403.
"""

from dataclasses import dataclass, field
from functools import cached_property, wraps

from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, FilteredRelation, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from branches.models import Branch
from members.models import Member, Notification
from members.querysets import COMMITTEE_POST_KINDS

LEADERSHIP_GROUP = "leadership"
IDENTITY_PERMISSION = "members.view_full_identity"


@dataclass(frozen=True)
class Role:
    kind: str  # "leadership", "committee" or "member"
    can_write: bool


LEADERSHIP = Role("leadership", can_write=True)
COMMITTEE = Role("committee", can_write=True)
PLAIN_MEMBER = Role("member", can_write=False)


@dataclass
class PartyRoles:
    """What one user may do, loaded once per request."""

    is_authenticated: bool = False
    is_leadership: bool = False
    is_admin: bool = False
    member: Member | None = None
    committee_branch_ids: frozenset[int] = field(default_factory=frozenset)
    user: object = None
    inbox_unread: int | None = None  # unread in-app notifications, read with the roles (None: not loaded)

    @cached_property
    def can_view_identity(self) -> bool:
        # Loaded only when a page shows identity numbers: it costs two queries.
        return self.user is not None and self.user.has_perm(IDENTITY_PERMISSION)

    @property
    def is_committee(self) -> bool:
        return bool(self.committee_branch_ids)

    @property
    def is_member(self) -> bool:
        return self.member is not None

    @property
    def manages_members(self) -> bool:
        return self.is_leadership or self.is_committee

    def role_in(self, branch_id: int) -> Role | None:
        if self.is_leadership:
            return LEADERSHIP
        if branch_id in self.committee_branch_ids:
            return COMMITTEE
        if self.member is not None and self.member.branch_id == branch_id:
            return PLAIN_MEMBER
        return None


def roles_for(user) -> PartyRoles:
    """Return the user's roles, cached on the user object for the request."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return PartyRoles()
    cached = getattr(user, "_party_roles", None)
    if cached is not None:
        return cached
    is_admin = user.is_superuser
    member, committee_ids, in_group, unread = _member_row(user)
    if member is None and not is_admin:
        in_group = user.groups.filter(name=LEADERSHIP_GROUP).exists()
    roles = PartyRoles(
        is_authenticated=True,
        is_leadership=is_admin or in_group,
        is_admin=is_admin,
        user=user,
        member=member,
        committee_branch_ids=committee_ids,
        inbox_unread=unread,
    )
    user._party_roles = roles
    return roles


def _member_row(user) -> tuple[Member | None, frozenset[int], bool, int | None]:
    """The user's member record, committee branches, leadership group and unread count; one query.

    Every page needs these, so they come in one statement: one row per
    current committee post (a LEFT JOIN; one row with none), each carrying
    the group check and the unread count as subqueries.
    """
    today = timezone.localdate()
    current_committee = FilteredRelation(
        "posts",
        condition=Q(posts__kind__in=COMMITTEE_POST_KINDS, posts__start_on__lte=today)
        & (Q(posts__end_on__isnull=True) | Q(posts__end_on__gte=today)),
    )
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), channel="in_app", read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    in_group = Group.objects.filter(user=user.pk, name=LEADERSHIP_GROUP)
    rows = list(
        Member.objects.filter(user=user)
        .select_related("branch")
        .annotate(
            committee_post=current_committee,
            committee_branch=F("committee_post__branch_id"),
            in_leadership_group=Exists(in_group),
            unread_count=Coalesce(Subquery(unread[:1]), Value(0), output_field=IntegerField()),
        )
    )
    if not rows:
        return None, frozenset(), False, None
    member = rows[0]
    committee_ids = frozenset(row.committee_branch for row in rows if row.committee_branch is not None)
    return member, committee_ids, member.in_leadership_group, member.unread_count


def own_member(request, *, hidden: bool = False) -> Member:
    """The member record of the signed-in user; an account without one is refused (404 when *hidden*, else 403)."""
    member = roles_for(request.user).member
    if member is None:
        raise Http404 if hidden else PermissionDenied
    return member


def role_for(user, branch_id: int) -> Role | None:
    """Return the user's role in a branch, or None when they have none there."""
    return roles_for(user).role_in(branch_id)


def leadership_group() -> Group:
    group, _created = Group.objects.get_or_create(name=LEADERSHIP_GROUP)
    return group


# --- objects ---------------------------------------------------------------


def get_branch_for_user(request, branch_id: int, *, write: bool = False) -> Branch:
    """Return the branch, or raise 404 outside the user's branches and 403 for read-only roles."""
    branch = get_object_or_404(Branch.objects.select_related("parent"), pk=branch_id)
    role = role_for(request.user, branch.pk)
    if role is None:
        raise Http404
    if write and not role.can_write:
        raise PermissionDenied
    return branch


def get_member_for_user(request, member_id: int, *, write: bool = False) -> Member:
    """Return the member, or raise 404 outside the user's branches and 403 for too weak a role.

    A member may read their own record; another member of the same branch may not.
    """
    member = get_object_or_404(Member.objects.select_related("branch", "user"), pk=member_id)
    roles = roles_for(request.user)
    role = roles.role_in(member.branch_id)
    is_self = roles.member is not None and roles.member.pk == member.pk
    if role is None and not is_self:
        raise Http404
    if write:
        if role is None or not role.can_write:
            raise PermissionDenied
    elif not is_self and (role is None or role.kind == PLAIN_MEMBER.kind):
        raise PermissionDenied
    return member


# --- scopes ----------------------------------------------------------------


def visible_branches(user) -> QuerySet[Branch]:
    """Return the organisations the user may open: all for leadership, else their own."""
    roles = roles_for(user)
    branches = Branch.objects.all()
    if roles.is_leadership:
        return branches
    ids = set(roles.committee_branch_ids)
    if roles.member is not None:
        ids.add(roles.member.branch_id)
    return branches.filter(pk__in=ids)


def managed_members(user) -> QuerySet[Member]:
    """Return the members whose records the user manages, or raise 403 for plain members."""
    roles = roles_for(user)
    if roles.is_leadership:
        return Member.objects.all()
    if roles.is_committee:
        return Member.objects.in_branches(roles.committee_branch_ids)
    raise PermissionDenied


def managed_branches(user) -> QuerySet[Branch]:
    """Return the branches whose data the user may change."""
    roles = roles_for(user)
    if roles.is_leadership:
        return Branch.objects.all()
    return Branch.objects.filter(pk__in=roles.committee_branch_ids)


def can_view_identity(user, member: Member) -> bool:
    """Full ID and phone numbers: the member themself and holders of the identity permission."""
    roles = roles_for(user)
    if roles.can_view_identity:
        return True
    return roles.member is not None and roles.member.pk == member.pk


# --- view decorators -------------------------------------------------------


def _requires(predicate):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not predicate(roles_for(request.user)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


leadership_required = _requires(lambda roles: roles.is_leadership)
manager_required = _requires(lambda roles: roles.manages_members)
