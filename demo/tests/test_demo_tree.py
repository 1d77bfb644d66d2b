"""The demo 党总支: two branches below it and a general-branch secretary who manages exactly them."""

import pytest
from django.contrib.auth import get_user_model

from branches.models import Branch
from demo.members import seed_organisation
from demo.tree import GB_SECRETARY_USERNAME, seed_general_branch
from members.identity import parse_id_number
from members.models import Member
from members.permissions import COMMITTEE, roles_for

pytestmark = pytest.mark.django_db


def test_general_branch_secretary_manages_the_two_branches():
    seed_organisation()
    summary = seed_general_branch()
    general = Branch.objects.get(kind=Branch.Kind.GENERAL_BRANCH)
    children = list(general.children.all())
    assert len(children) == 2 and general.parent.code == "jgdw"
    roles = roles_for(get_user_model().objects.get(username=GB_SECRETARY_USERNAME))
    assert roles.committee_branch_ids == {general.pk, *(c.pk for c in children)}
    assert all(roles.role_in(c.pk) == COMMITTEE for c in children)
    assert roles.role_in(Branch.objects.get(code="jg1").pk) is None
    assert summary["login"]["username"] == GB_SECRETARY_USERNAME
    for member in Member.objects.filter(branch__in=[general, *children]):
        assert parse_id_number(member.id_number) == (member.birth_date, member.gender)


def test_seeding_the_general_branch_twice_changes_nothing():
    seed_organisation()
    seed_general_branch()
    counts = (Branch.objects.count(), Member.objects.count(), get_user_model().objects.count())
    again = seed_general_branch()
    assert (Branch.objects.count(), Member.objects.count(), get_user_model().objects.count()) == counts
    assert again["created"] == {}
