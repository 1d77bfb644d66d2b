"""The scale tree: every 党总支 has a secretary, a second bureau has its own scoped leadership."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from branches.models import Branch
from demo.scale.build import seed_scale
from members.permissions import roles_for

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)


def test_second_bureau_and_general_branch_secretaries():
    seed_scale("city", today=TODAY, branches=4, branches_per_general=2, members_per_branch=5, months=3)
    User = get_user_model()
    generals = list(Branch.objects.filter(kind=Branch.Kind.GENERAL_BRANCH).order_by("pk"))
    assert len(generals) == 2
    roots = Branch.objects.filter(parent__isnull=True)
    assert roots.count() == 2
    second_root = Branch.objects.get(pk=generals[1].ancestor_ids[0])
    assert second_root.pk != generals[0].ancestor_ids[0]
    # Paths are written by the bulk load as save() would write them.
    for branch in Branch.objects.select_related("parent"):
        expected = (branch.parent.path if branch.parent else "") + Branch.path_segment(branch.pk)
        assert branch.path == expected and branch.depth == expected.count("/") - 1
    gb = roles_for(User.objects.get(username="bench_gb_secretary"))
    first_tree = set(Branch.objects.subtree_of(generals[0]).values_list("pk", flat=True))
    assert first_tree <= gb.committee_branch_ids and len(first_tree) == 3
    leader2 = roles_for(User.objects.get(username="bench_leader2"))
    assert leader2.is_leadership and not leader2.is_top_level
    assert leader2.led_branch_ids == set(Branch.objects.subtree_of(second_root).values_list("pk", flat=True))
    assert generals[0].pk not in leader2.led_branch_ids
    assert roles_for(User.objects.get(username="bench_leader")).is_top_level
