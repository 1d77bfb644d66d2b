"""Pages of the organisation tree; they live here because they show training figures."""

from django.shortcuts import render
from django.utils import timezone

from members.permissions import get_branch_for_user
from members.selectors.members import branch_detail, branch_list_with_counts
from training.selectors.plans import branch_training_panel


def branch_list(request):
    return render(request, "branches/branch_list.html", {"branches": branch_list_with_counts(request.user)})


def branch_detail_view(request, branch_id):
    branch = get_branch_for_user(request, branch_id)
    context = {
        "branch": branch_detail(branch),
        "panel": branch_training_panel(branch, timezone.localdate().year),
    }
    return render(request, "branches/branch_detail.html", context)
