"""The home page's upcoming lessons, written in SQL, keep the audience rule of LessonQuerySet.for_member.

Every kind of audience is here — branch-wide, joint (accepted and only
invited), a committee meeting (支委会, current and ended posts), Party cell
meetings (党小组会) of two cells, invited by name, an attendance row at
another branch's lesson — beside lessons no member may list (draft,
cancelled, held, ended); the SQL must list exactly what for_member lists.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.tests.factories import VenueFactory
from members.models import Post
from members.tests.factories import MemberFactory, PostFactory
from training.models import Attendance, Lesson, LessonHost
from training.selectors.lessons import upcoming_lessons_for_member
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(branch_a, branch_b):
    now = timezone.now()

    def soon(hours, **kwargs):
        start = now + datetime.timedelta(hours=hours)
        return LessonFactory(start=start, end=start + datetime.timedelta(hours=1), **kwargs)

    people = {
        "cell_one": MemberFactory(branch=branch_a, party_group="第一党小组"),
        "no_cell": MemberFactory(branch=branch_a, party_group=""),
        "secretary": MemberFactory(branch=branch_a, party_group="第二党小组"),
        "former_secretary": MemberFactory(branch=branch_a),
        "of_b": MemberFactory(branch=branch_b),
        "invited": MemberFactory(branch=branch_b),
    }
    PostFactory(member=people["secretary"], branch=branch_a)
    PostFactory(
        member=people["former_secretary"],
        branch=branch_a,
        start_on=datetime.date(2020, 1, 1),
        end_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    PostFactory(member=people["of_b"], branch=branch_b, kind=Post.Kind.ORGANISING)
    PostFactory(member=people["cell_one"], branch=branch_a, kind=Post.Kind.GROUP_LEADER)  # not a committee post
    hall = VenueFactory(name="第一会议室", owner=branch_a)
    wide = soon(1, organiser=branch_a, venue=hall, title="wide")
    joint = soon(2, organiser=branch_b, title="joint")
    LessonHost.objects.create(lesson=joint, branch=branch_a, status=LessonHost.Status.ACCEPTED)
    only_invited = soon(3, organiser=branch_b, title="only invited")
    LessonHost.objects.create(lesson=only_invited, branch=branch_a, status=LessonHost.Status.INVITED)
    soon(4, organiser=branch_a, kind=Lesson.Kind.COMMITTEE_MEETING, title="committee of A")
    soon(5, organiser=branch_b, kind=Lesson.Kind.COMMITTEE_MEETING, title="committee of B")
    soon(6, organiser=branch_a, kind=Lesson.Kind.GROUP_MEETING, party_group="第一党小组", title="cell one")
    soon(7, organiser=branch_a, kind=Lesson.Kind.GROUP_MEETING, party_group="第二党小组", title="cell two")
    named = soon(8, organiser=branch_a, title="named")
    named.extra_audience.add(people["invited"])
    with_row = soon(9, organiser=branch_a, kind=Lesson.Kind.COMMITTEE_MEETING, title="committee with a row")
    Attendance.objects.create(lesson=with_row, member=people["no_cell"], status=Attendance.Status.LEAVE)
    Attendance.objects.create(lesson=wide, member=people["cell_one"], status=Attendance.Status.PRESENT)
    for status in (Lesson.Status.DRAFT, Lesson.Status.CANCELLED, Lesson.Status.HELD):
        soon(10, organiser=branch_a, status=status)
    ended = now - datetime.timedelta(hours=3)
    LessonFactory(organiser=branch_a, start=ended, end=ended + datetime.timedelta(hours=1))
    return people, now


def by_orm(member, now):
    return list(
        Lesson.objects.for_member(member)
        .filter(end__gte=now, status=Lesson.Status.PUBLISHED)
        .order_by("start", "pk")
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize("who", ["cell_one", "no_cell", "secretary", "former_secretary", "of_b", "invited"])
def test_the_sql_lists_what_for_member_lists(world, who):
    people, now = world
    member = people[who]
    listed = upcoming_lessons_for_member(member, now=now, limit=50)
    assert [lesson.pk for lesson in listed] == by_orm(member, now)
    own = dict(Attendance.objects.filter(member=member).values_list("lesson_id", "status"))
    assert [lesson.my_status for lesson in listed] == [own.get(lesson.pk) for lesson in listed]


def test_each_audience_reaches_the_right_people(world):
    people, now = world
    listed = {
        who: {lesson.title for lesson in upcoming_lessons_for_member(m, now=now, limit=50)} for who, m in people.items()
    }
    a_wide = {"wide", "joint", "named"}  # A's own lessons and the joint lesson A accepted
    assert listed["cell_one"] == a_wide | {"cell one"}
    assert listed["no_cell"] == a_wide | {"committee with a row"}
    assert listed["secretary"] == a_wide | {"committee of A", "committee with a row", "cell two"}
    assert listed["former_secretary"] == a_wide  # the post has ended
    assert listed["of_b"] == {"joint", "only invited", "committee of B"}
    assert listed["invited"] == {"joint", "only invited", "named"}


def test_limit_order_and_queries(world):
    people, now = world
    member = people["secretary"]
    with CaptureQueriesContext(connection) as queries:
        first_two = upcoming_lessons_for_member(member, now=now, limit=2)
        assert first_two[0].place == "第一会议室"
    assert len(queries) == 2  # the lessons, then their venues
    assert [lesson.pk for lesson in first_two] == by_orm(member, now)[:2]
