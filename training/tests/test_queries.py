"""Lesson pages run a fixed number of queries whatever the audience size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.tests.factories import MemberFactory
from training.services.lessons import audience_sync
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "training:lesson_list",
    "training:lesson_detail",
    "training:attendance",
    "training:projector",
    "training:projector_list",
    "training:projector_code",
]


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", PAGES)
def test_lesson_pages_query_count_does_not_grow_with_the_audience(client, secretary, branch_a, lesson_a, page):
    url = reverse(page) if page == "training:lesson_list" else reverse(page, args=[lesson_a.pk])
    LessonFactory.create_batch(3, organiser=branch_a)
    MemberFactory.create_batch(5, branch=branch_a)
    audience_sync(lesson=lesson_a)
    client.force_login(secretary)
    client.get(reverse("home"))
    small = queries(client, url)
    MemberFactory.create_batch(195, branch=branch_a)
    audience_sync(lesson=lesson_a)
    LessonFactory.create_batch(10, organiser=branch_a)
    assert lesson_a.attendances.count() == 202
    assert queries(client, url) == small


def test_lesson_list_budget(client, member, branch_a, lesson_a, django_assert_num_queries):
    LessonFactory.create_batch(5, organiser=branch_a)
    client.force_login(member)
    client.get(reverse("home"))
    with django_assert_num_queries(6):
        client.get(reverse("training:lesson_list"))
