"""The materialised path: kept on create and on moves, one query per subtree, names unique among siblings."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from branches.models import Branch, ancestors_of, find_by_label, path_labels
from branches.tests.factories import BranchFactory


@pytest.fixture
def tree(db):
    bureau = BranchFactory(name="东城区交通运输局", code="dc", kind=Branch.Kind.COMMITTEE)
    committee = BranchFactory(name="机关党委", code="dc-jg", kind=Branch.Kind.COMMITTEE, parent=bureau)
    first = BranchFactory(name="第一党支部", code="dc-1", parent=committee)
    other = BranchFactory(name="西城区交通运输局", code="xc", kind=Branch.Kind.COMMITTEE)
    return bureau, committee, first, other


def test_path_and_depth_follow_the_parents(tree):
    bureau, committee, first, _other = tree
    first.refresh_from_db()
    assert first.path == f"{bureau.pk:07d}/{committee.pk:07d}/{first.pk:07d}/"
    assert first.depth == 2
    assert first.ancestor_ids == [bureau.pk, committee.pk, first.pk]


def test_subtree_is_one_query_at_any_depth(tree, django_assert_num_queries):
    bureau, committee, first, other = tree
    with django_assert_num_queries(1):
        ids = set(Branch.objects.subtree_of(bureau).values_list("pk", flat=True))
    assert ids == {bureau.pk, committee.pk, first.pk}
    assert set(Branch.objects.subtree_of(other).values_list("pk", flat=True)) == {other.pk}


def test_a_move_rewrites_the_subtree(tree):
    bureau, committee, first, other = tree
    committee.parent = other
    committee.save()
    first.refresh_from_db()
    assert first.path == f"{other.pk:07d}/{committee.pk:07d}/{first.pk:07d}/"
    assert first.depth == 2
    assert set(Branch.objects.subtree_of(bureau).values_list("pk", flat=True)) == {bureau.pk}


def test_a_move_under_its_own_subtree_is_refused(tree):
    bureau, committee, first, _other = tree
    bureau.parent = first
    with pytest.raises(ValidationError):
        bureau.full_clean()
    with pytest.raises(ValidationError), transaction.atomic():
        bureau.save()
    bureau.refresh_from_db()
    assert bureau.parent_id is None


def test_names_are_unique_among_siblings_only(tree):
    _bureau, committee, _first, other = tree
    twin = BranchFactory(name="机关党委", code="xc-jg", kind=Branch.Kind.COMMITTEE, parent=other)
    assert twin.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        BranchFactory(name="第一党支部", code="dc-1b", parent=committee)
    with pytest.raises(IntegrityError), transaction.atomic():
        BranchFactory(name="东城区交通运输局", code="dc2", kind=Branch.Kind.COMMITTEE)


def test_path_labels_name_every_level_in_one_query(tree, django_assert_num_queries):
    bureau, committee, first, other = tree
    with django_assert_num_queries(1):
        labels = path_labels([first, other, committee])
    assert labels[first.pk] == "东城区交通运输局 › 机关党委 › 第一党支部"
    assert labels[other.pk] == "西城区交通运输局"
    assert first.full_path == labels[first.pk]
    assert [b.name for b in ancestors_of(first)] == ["东城区交通运输局", "机关党委"]


def test_find_by_label_takes_a_path_or_a_name_unique_in_scope(tree):
    bureau, committee, first, other = tree
    twin_committee = BranchFactory(name="机关党委", code="xc-jg", kind=Branch.Kind.COMMITTEE, parent=other)
    twin = BranchFactory(name="第一党支部", code="xc-1", parent=twin_committee)
    assert find_by_label("第一党支部") is None  # two of them: ambiguous
    assert find_by_label("第一党支部", among=[first.pk, committee.pk]) == first
    assert find_by_label("东城区交通运输局 › 机关党委 › 第一党支部") == first
    assert find_by_label("西城区交通运输局/机关党委/第一党支部") == twin
    assert find_by_label("机关党委 > 第一党支部") is None  # both bureaus have that tail
    assert find_by_label("南城区 › 第一党支部") is None
