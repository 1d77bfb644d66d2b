"""Pages of the organisation tree; they live here because they apply members' roles."""

from django.shortcuts import render

from .permissions import get_branch_for_user
from .selectors import branch_detail, branch_list_with_counts


def branch_list(request):
    return render(request, "branches/branch_list.html", {"branches": branch_list_with_counts(request.user)})


def branch_detail_view(request, branch_id):
    branch = get_branch_for_user(request, branch_id)
    return render(request, "branches/branch_detail.html", {"branch": branch_detail(branch)})
