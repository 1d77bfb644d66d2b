"""Fixtures shared by the assessments tests: the known data set, with and without report extras."""

import pytest

from assessments.tests.known import build_known, build_report_data
from members.tests.factories import MemberFactory


@pytest.fixture
def known(branch_a, branch_b, secretary, member, outsider):
    return build_known(branch_a, branch_b, secretary, member, outsider)


@pytest.fixture
def data(known):
    return build_report_data(known)


@pytest.fixture
def leader_member(leader, committee):
    """The leader's member record, so that in-app notifications can reach them."""
    return MemberFactory(user=leader, branch=committee, full_name="局领导")
