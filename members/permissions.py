"""Every access rule of the project: roles derive from posts and the leadership group.

A role held at an organisation covers its whole subtree: a committee post at a
党总支 is a committee role in every branch below it; a leadership scope at a
bureau's 机关党委 is leadership over that bureau's tree only; the global
leadership group (and superusers) is the top-level account and sees everything.
Subtrees are expanded to sets of ids once per request, in the same queries that
load the roles, so a check on an object never costs a query.

Another branch's object answers 404 (its existence is not revealed); a role
that is too weak answers 403.
"""

from dataclasses import dataclass, field
from functools import cache, cached_property, wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from branches.models import Branch
from members.models import LeadershipScope, Member, Notification, Post
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
    # Leadership anywhere: over the whole tree, or over the subtrees in led_branch_ids.
    is_leadership: bool = False
    is_admin: bool = False
    member: Member | None = None
    # Every organisation in the subtrees of the user's current committee posts.
    committee_branch_ids: frozenset[int] = field(default_factory=frozenset)
    user: object = None
    # The organisations a scoped leadership leads; None is the whole tree (the top-level account).
    led_branch_ids: frozenset[int] | None = None
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

    @property
    def is_top_level(self) -> bool:
        """Leadership over the whole tree (the county organisation department, superusers)."""
        return self.is_leadership and self.led_branch_ids is None

    @property
    def requests_reports(self) -> bool:
        """Leadership, or a committee over more than one organisation (a 党总支's): it compiles subtree reports."""
        return self.is_leadership or len(self.committee_branch_ids) > 1

    def leads(self, branch_id) -> bool:
        """Leadership over this organisation: the whole tree, or a subtree that holds it."""
        return self.is_leadership and (self.led_branch_ids is None or branch_id in self.led_branch_ids)

    @property
    def led_ids(self) -> frozenset[int] | None:
        """The organisations led, None for all; empty for those who lead none."""
        if not self.is_leadership:
            return frozenset()
        return self.led_branch_ids

    @property
    def scope_ids(self) -> frozenset[int] | None:
        """The organisations whose data the user manages or leads; None for the whole tree."""
        if self.is_top_level:
            return None
        return (self.led_branch_ids or frozenset()) | self.committee_branch_ids

    def scoped(self, queryset, field: str = "branch_id"):
        """*queryset* kept to the user's scope (scope_ids) on *field*."""
        ids = self.scope_ids
        return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})

    def role_in(self, branch_id: int) -> Role | None:
        if self.leads(branch_id):
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
    row = _member_row(user)
    is_leadership, led_ids = is_admin or row.in_group, None
    if not is_leadership and (row.member is None or row.has_scope):
        is_leadership, led_ids = _leadership(user)
    roles = PartyRoles(
        is_authenticated=True,
        is_leadership=is_leadership,
        is_admin=is_admin,
        user=user,
        member=row.member,
        committee_branch_ids=_committee_subtree_ids(row.committee_roots)
        if row.roots_have_children
        else row.committee_roots,
        led_branch_ids=led_ids,
        inbox_unread=row.unread,
    )
    user._party_roles = roles
    return roles


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _subtree_join() -> str:
    # A descendant's path starts with its root's path: the join expands every
    # root to its subtree in the same query that finds the roots.
    return f"JOIN {_table(Branch)} r ON r.id = roots.root_id JOIN {_table(Branch)} d ON d.path LIKE (r.path || '%%')"


def _committee_subtree_ids(roots: frozenset[int]) -> frozenset[int]:
    """Every organisation at or below the given committee roots, in one query."""
    marks = ", ".join(["%s"] * len(roots))
    branches = _table(Branch)
    sql = (
        f"SELECT DISTINCT d.id FROM {branches} r JOIN {branches} d ON d.path LIKE (r.path || '%%') "
        f"WHERE r.id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(roots))
        return frozenset(row[0] for row in cursor.fetchall())


def _leadership(user) -> tuple[bool, frozenset[int] | None]:
    """(leads anything, the organisations led or None for the whole tree), in one query.

    A NULL row says the user is in the global leadership group.
    """
    user_groups = get_user_model().groups.through
    sql = (
        f"SELECT CAST(NULL AS INTEGER) FROM {_table(user_groups)} ug JOIN {_table(Group)} g ON g.id = ug.group_id "
        f"WHERE ug.user_id = %s AND g.name = %s "
        f"UNION ALL SELECT d.id FROM (SELECT s.organisation_id AS root_id FROM {_table(LeadershipScope)} s "
        f"WHERE s.user_id = %s) roots {_subtree_join()}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, LEADERSHIP_GROUP, user.pk])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return False, frozenset()
    if None in ids:
        return True, None
    return True, frozenset(ids)


@dataclass(frozen=True)
class _MemberRow:
    member: Member | None
    committee_roots: frozenset[int]  # organisations of the current committee posts
    roots_have_children: bool  # only then is a second query needed to expand the subtrees
    in_group: bool  # the global leadership group: the whole tree
    has_scope: bool  # a scoped leadership (LeadershipScope) to expand
    unread: int | None


def _member_row(user) -> _MemberRow:
    """The user's member record, committee posts, leadership and unread count; one query.

    Every page needs these, so they come in one statement: one row per
    current committee post (a LEFT JOIN; one row with none), each carrying
    the leadership checks, whether the post's organisation has anything below
    it, and the unread count as subqueries. A branch secretary (a leaf) and a
    plain member pay this one query; subtrees cost one more. The statement is
    written once per process (_member_row_sql): built by the ORM on every
    request it cost several times its own run.
    """
    sql, member_columns, branch_columns = _member_row_sql()
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(sql, [LEADERSHIP_GROUP, *COMMITTEE_POST_KINDS, today, today, user.pk])
        rows = cursor.fetchall()
    if not rows:
        return _MemberRow(None, frozenset(), False, False, False, None)
    first = rows[0]
    n_member, n_branch = len(member_columns), len(branch_columns)
    member = Member.from_db(connection.alias, member_columns, first[:n_member])
    branch = Branch.from_db(connection.alias, branch_columns, first[n_member : n_member + n_branch])
    Member._meta.get_field("branch").set_cached_value(member, branch)
    extra = [row[n_member + n_branch :] for row in rows]  # (committee branch, has children, group, scope, unread)
    posts = [row for row in extra if row[0] is not None]
    return _MemberRow(
        member=member,
        committee_roots=frozenset(row[0] for row in posts),
        roots_have_children=any(bool(row[1]) for row in posts),
        in_group=bool(extra[0][2]),
        has_scope=bool(extra[0][3]),
        unread=extra[0][4],
    )


@cache
def _member_row_sql() -> tuple[str, list[str], list[str]]:
    """(the statement, the member's field names, the branch's) for _member_row; its parameters: the
    leadership group's name, the committee post kinds, today twice, the user."""
    member_fields = Member._meta.concrete_fields
    branch_fields = Branch._meta.concrete_fields
    columns = [f"m.{connection.ops.quote_name(f.column)}" for f in member_fields]
    columns += [f"b.{connection.ops.quote_name(f.column)}" for f in branch_fields]
    user_groups = get_user_model().groups.through
    kinds = ", ".join(["%s"] * len(COMMITTEE_POST_KINDS))
    sql = (
        f"SELECT {', '.join(columns)}, p.branch_id, "
        f"EXISTS (SELECT 1 FROM {_table(Branch)} c WHERE c.parent_id = p.branch_id), "
        f"EXISTS (SELECT 1 FROM {_table(user_groups)} ug JOIN {_table(Group)} g ON g.id = ug.group_id "
        f"WHERE ug.user_id = m.user_id AND g.name = %s), "
        f"EXISTS (SELECT 1 FROM {_table(LeadershipScope)} s WHERE s.user_id = m.user_id), "
        f"(SELECT COUNT(*) FROM {_table(Notification)} n "
        f"WHERE n.recipient_id = m.id AND n.channel = 'in_app' AND n.read_at IS NULL) "
        f"FROM {_table(Member)} m JOIN {_table(Branch)} b ON b.id = m.branch_id "
        f"LEFT JOIN {_table(Post)} p ON p.member_id = m.id AND p.kind IN ({kinds}) "
        f"AND p.start_on <= %s AND (p.end_on IS NULL OR p.end_on >= %s) "
        f"WHERE m.user_id = %s"
    )
    return sql, [f.attname for f in member_fields], [f.attname for f in branch_fields]


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
    """Return the organisations the user may open: all for the top level, else their subtrees and own branch."""
    roles = roles_for(user)
    branches = Branch.objects.all()
    if roles.is_top_level:
        return branches
    ids = set(roles.scope_ids)
    if roles.member is not None:
        ids.add(roles.member.branch_id)
    return branches.filter(pk__in=ids)


def managed_members(user) -> QuerySet[Member]:
    """Return the members whose records the user manages, or raise 403 for plain members."""
    roles = roles_for(user)
    if roles.is_top_level:
        return Member.objects.all()
    if roles.manages_members:
        return Member.objects.in_branches(roles.scope_ids)
    raise PermissionDenied


def managed_branches(user) -> QuerySet[Branch]:
    """Return the branches whose data the user may change."""
    roles = roles_for(user)
    if roles.is_top_level:
        return Branch.objects.all()
    return Branch.objects.filter(pk__in=roles.scope_ids)


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
# Settings shared by the whole tree (the year's scheme, study rules): the top-level account only.
top_level_required = _requires(lambda roles: roles.is_top_level)
manager_required = _requires(lambda roles: roles.manages_members)
report_requester_required = _requires(lambda roles: roles.requests_reports)
