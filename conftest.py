"""Shared fixtures: the organisation, and the personas every view test walks.

secretary — writes to branch A; member — reads branch A; outsider — branch B;
leader — the leadership group (the top-level account); admin — superuser.
gb_secretary — secretary of a 党总支 with two branches of its own;
bureau2_leader — leadership scoped to a second bureau's tree.
"""

import os

import pytest
from django.test import Client

from branches.models import Branch
from branches.tests.factories import BranchFactory, VenueFactory
from members.models import LeadershipScope
from members.permissions import leadership_group
from members.tests.factories import MemberFactory, PostFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
IN_CI = os.environ.get("CI") == "true"


def pytest_configure(config):
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI must run against PostgreSQL: set DATABASE_URL.")
    if IN_CI and not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        raise pytest.UsageError("CI must run against Redis: set CELERY_BROKER_URL.")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists("/usr/bin/chromium"):
        if IN_CI:
            pytest.fail("Debian's Chromium (/usr/bin/chromium) is missing.")
        pytest.skip("Debian's Chromium is not installed.")
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class ModelBackendClient(Client):
    """A test client whose force_login names the backend that can load users.

    django-axes comes first in AUTHENTICATION_BACKENDS and cannot fetch a
    user from the session, which is where force_login would record it.
    """

    def force_login(self, user, backend="django.contrib.auth.backends.ModelBackend"):
        super().force_login(user, backend)


@pytest.fixture
def client():
    return ModelBackendClient()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def committee(db):
    group = BranchFactory(name="测试县交通运输局机关党委", code="committee", kind=Branch.Kind.COMMITTEE)
    return group


@pytest.fixture
def branch_a(committee):
    return BranchFactory(name="机关第一支部", code="a", parent=committee)


@pytest.fixture
def branch_b(committee):
    return BranchFactory(name="运输管理所支部", code="b", parent=committee)


@pytest.fixture
def venue_a(branch_a):
    return VenueFactory(owner=branch_a, name="局机关党员活动室", capacity=60)


def _person(username, **member_kwargs):
    user = UserFactory(username=username)
    member = MemberFactory(user=user, **member_kwargs)
    return user, member


@pytest.fixture
def secretary(branch_a):
    user, member = _person("secretary", branch=branch_a, full_name="书记甲")
    PostFactory(member=member, branch=branch_a)
    return user


@pytest.fixture
def member(branch_a):
    user, _member = _person("member", branch=branch_a, full_name="张三")
    return user


@pytest.fixture
def outsider(branch_b):
    user, _member = _person("outsider", branch=branch_b, full_name="李四")
    return user


@pytest.fixture
def leader(db):
    user = UserFactory(username="leader")
    user.groups.add(leadership_group())
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def general_branch(committee):
    return BranchFactory(name="机关党总支", code="general", kind=Branch.Kind.GENERAL_BRANCH, parent=committee)


@pytest.fixture
def general_children(general_branch):
    return [
        BranchFactory(name="第一党支部", code="g1", parent=general_branch),
        BranchFactory(name="第二党支部", code="g2", parent=general_branch),
    ]


@pytest.fixture
def gb_secretary(general_branch, general_children):
    user, member = _person("gb_secretary", branch=general_branch, full_name="总支书记丙")
    PostFactory(member=member, branch=general_branch)
    return user


@pytest.fixture
def bureau2(db):
    return BranchFactory(name="第二县交通运输局机关党委", code="bureau2", kind=Branch.Kind.COMMITTEE)


@pytest.fixture
def bureau2_branch(bureau2):
    # Same name as branch A's: names are unique among siblings only.
    return BranchFactory(name="机关第一支部", code="bureau2-a", parent=bureau2)


@pytest.fixture
def bureau2_leader(bureau2, bureau2_branch):
    user = UserFactory(username="bureau2_leader")
    LeadershipScope.objects.create(user=user, organisation=bureau2)
    return user


@pytest.fixture
def personas(secretary, member, outsider, leader, admin_user):
    return {"secretary": secretary, "member": member, "outsider": outsider, "leader": leader, "admin": admin_user}


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def live_url(live_server):
    return live_server.url
