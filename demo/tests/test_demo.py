"""The demo bureau: a plausible organisation, valid records, working logins, and safe to re-run."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from branches.models import Branch, Venue
from demo.members import DEMO_PASSWORD, seed_organisation
from members.identity import MOBILE_PHONE, parse_id_number
from members.models import Member, Membership, Post
from members.permissions import roles_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    return seed_organisation()


def _counts():
    models = (Branch, Venue, Member, Membership, Post, get_user_model())
    return {model.__name__: model.objects.count() for model in models}


def test_builds_a_county_bureau(seeded):
    assert 6 <= Branch.objects.filter(kind=Branch.Kind.BRANCH).count() <= 8
    assert 100 <= Member.objects.count() <= 140
    assert 2 <= Venue.objects.count() <= 4
    assert Venue.objects.filter(is_shareable=False).exists()
    party_group = Branch.objects.get(kind=Branch.Kind.PARTY_GROUP)
    assert party_group.parent is None
    committee = Branch.objects.get(kind=Branch.Kind.COMMITTEE, parent=party_group)
    assert set(Branch.objects.filter(kind=Branch.Kind.BRANCH).values_list("parent", flat=True)) == {committee.pk}


def test_member_records_are_valid(seeded):
    for member in Member.objects.all():
        assert parse_id_number(member.id_number) == (member.birth_date, member.gender), member.id_number
        assert MOBILE_PHONE.match(member.phone)
        assert member.memberships.get(end_on__isnull=True).branch_id == member.branch_id
        if member.status == Member.Status.PROBATIONARY:
            assert member.full_member_on is None
        else:
            assert member.full_member_on >= member.joined_party_on
    assert Member.objects.filter(status=Member.Status.PROBATIONARY).count() >= 3
    assert Member.objects.filter(branch__code="tx", user__isnull=True).count() >= 3


def test_every_branch_has_a_current_secretary(seeded):
    for branch in Branch.objects.filter(kind=Branch.Kind.BRANCH):
        assert Post.objects.current().filter(branch=branch, kind=Post.Kind.SECRETARY).exists(), branch


def test_demo_users_have_their_roles(seeded):
    User = get_user_model()
    first_branch = Branch.objects.get(name="机关第一支部")

    member = roles_for(User.objects.get(username="demo_member"))
    assert member.is_member and member.member.branch == first_branch
    assert not member.is_committee and not member.is_leadership

    secretary = roles_for(User.objects.get(username="demo_secretary"))
    assert first_branch.pk in secretary.committee_branch_ids
    assert not secretary.is_leadership

    secretary2 = roles_for(User.objects.get(username="demo_secretary2"))
    assert Branch.objects.get(name="运输管理所支部").pk in secretary2.committee_branch_ids

    leader = User.objects.get(username="demo_leader")
    assert roles_for(leader).is_leadership and leader.get_full_name()

    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and roles_for(admin).is_admin

    assert all(user.check_password(DEMO_PASSWORD) for user in User.objects.all())
    assert User.objects.count() >= 20


def test_seeding_twice_changes_nothing(seeded):
    counts = _counts()
    members = list(Member.objects.order_by("pk").values())

    again = seed_organisation()

    assert _counts() == counts
    assert list(Member.objects.order_by("pk").values()) == members
    assert again["created"] == {}
    assert {k: again[k] for k in ("members", "venues", "users")} == {
        k: seeded[k] for k in ("members", "venues", "users")
    }


def test_command_prints_the_demo_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "demo_member" in text and DEMO_PASSWORD in text and "http://127.0.0.1:8000/" in text


def test_command_prints_the_port_run_dev_serves_on(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "http://127.0.0.1:8123/" in out.getvalue() and ":8000" not in out.getvalue()
    out = StringIO()
    call_command("seed_demo", port=9001, stdout=out)
    assert "http://127.0.0.1:9001/" in out.getvalue()


def test_command_prints_a_second_branch_member_and_a_committee_member_who_is_not_secretary():
    from demo.logins import extra_logins

    call_command("seed_demo", verbosity=0)
    User = get_user_model()
    member, committee = extra_logins()
    second = Branch.objects.get(name="机关第二支部")
    plain = roles_for(User.objects.get(username=member["username"]))
    assert plain.member.branch == second and not plain.is_committee and not plain.is_leadership
    organiser = User.objects.get(username=committee["username"])
    assert roles_for(organiser).is_committee
    assert not Post.objects.current().filter(member__user=organiser, kind=Post.Kind.SECRETARY).exists()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert member["username"] in out.getvalue() and committee["username"] in out.getvalue()
