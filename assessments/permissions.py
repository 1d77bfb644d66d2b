"""Who may see and change year-end results; built on the roles in members.permissions."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from branches.models import Branch
from members.models import Member
from members.permissions import roles_for


def get_assessed_branch(request, branch_id: int, *, write: bool = False) -> Branch:
    """Return the branch for leadership (read) or its committee (read and write); 404 for others.

    Writing verdicts is the committee's alone: leadership confirms or reopens.
    """
    roles = roles_for(request.user)
    branch = get_object_or_404(Branch, pk=branch_id)
    on_committee = branch.pk in roles.committee_branch_ids
    if not (on_committee or roles.leads(branch.pk)):
        if roles.member is not None and roles.member.branch_id == branch.pk:
            raise PermissionDenied
        raise Http404
    if write and not on_committee:
        raise PermissionDenied
    return branch


def get_assessed_member(request, member_id: int) -> Member:
    """Return a member whose result the user may read: themself, their branch committee, leadership."""
    roles = roles_for(request.user)
    member = get_object_or_404(Member.objects.select_related("branch"), pk=member_id)
    is_self = roles.member is not None and roles.member.pk == member.pk
    if not (is_self or roles.leads(member.branch_id) or member.branch_id in roles.committee_branch_ids):
        raise Http404
    return member
