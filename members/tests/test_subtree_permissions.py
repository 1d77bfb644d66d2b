"""Roles cover subtrees: a 党总支 secretary over its branches, a bureau's leadership over its tree only."""

import pytest

from members.models import Member
from members.permissions import COMMITTEE, LEADERSHIP, managed_members, roles_for, visible_branches
from members.tests.factories import MemberFactory


@pytest.fixture
def tree_people(branch_a, branch_b, gb_secretary, general_branch, general_children, bureau2_leader, bureau2_branch):
    for branch in (branch_a, branch_b, *general_children, bureau2_branch):
        MemberFactory(branch=branch)
    return general_children


def test_general_branch_secretary_commands_exactly_the_subtree(tree_people, gb_secretary, general_branch, branch_a):
    roles = roles_for(gb_secretary)
    assert roles.committee_branch_ids == {general_branch.pk, *(b.pk for b in tree_people)}
    assert roles.role_in(tree_people[0].pk) == COMMITTEE
    assert roles.role_in(branch_a.pk) is None
    assert not roles.is_leadership
    assert set(visible_branches(gb_secretary)) == {general_branch, *tree_people}
    members = managed_members(gb_secretary)
    assert set(members.values_list("branch_id", flat=True)) == {general_branch.pk, *(b.pk for b in tree_people)}


def test_second_bureau_leadership_sees_only_its_tree(tree_people, bureau2_leader, bureau2, bureau2_branch, branch_a):
    roles = roles_for(bureau2_leader)
    assert roles.is_leadership and not roles.is_top_level
    assert roles.led_branch_ids == {bureau2.pk, bureau2_branch.pk}
    assert roles.role_in(bureau2_branch.pk) == LEADERSHIP
    assert roles.role_in(branch_a.pk) is None
    assert set(visible_branches(bureau2_leader)) == {bureau2, bureau2_branch}
    assert set(managed_members(bureau2_leader)) == set(Member.objects.filter(branch=bureau2_branch))


def test_top_level_leadership_sees_the_whole_tree(tree_people, leader, bureau2_branch):
    roles = roles_for(leader)
    assert roles.is_top_level
    assert roles.role_in(bureau2_branch.pk) == LEADERSHIP
    assert managed_members(leader).count() == Member.objects.count()


def test_roles_load_in_a_fixed_number_of_queries(tree_people, gb_secretary, bureau2_leader, django_assert_num_queries):
    # The member with posts and leadership checks, then the committee subtree: its size never adds a query.
    with django_assert_num_queries(2):
        roles = roles_for(gb_secretary)
    with django_assert_num_queries(0):
        assert all(roles.role_in(pk) == COMMITTEE for pk in roles.committee_branch_ids)
    gb_secretary._party_roles = None
    with django_assert_num_queries(2):
        roles_for(bureau2_leader)


def test_a_moved_branch_leaves_the_old_subtree_and_keeps_its_history(tree_people, gb_secretary, branch_a):
    moved = tree_people[1]
    member = Member.objects.get(branch=moved)
    moved.parent = branch_a.parent
    moved.save()
    assert roles_for(gb_secretary).role_in(moved.pk) is None
    member.refresh_from_db()
    # Records point at the branch, not at its place in the tree: the history stays as it was.
    assert member.branch_id == moved.pk
    assert member.memberships.get().branch_id == moved.pk
