"""Topics members ask for: propose and vote once, ranked demand, plan page counts, requesters told after the lesson."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members.models import Notification
from members.tests.factories import MemberFactory
from training.models import StudyPlan, StudyPlanItem, TopicSurvey
from training.selectors.topics import requested_by_counts, topic_demand
from training.services.lessons import lesson_close
from training.services.topics import (
    topic_link,
    topic_propose,
    topic_requesters_notify,
    topic_survey_open,
    topic_vote,
)
from training.tests.conftest import member_of
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(branch_a, secretary):
    return topic_survey_open(
        branch=branch_a,
        year=2027,
        title="2027年度培训需求调查",
        closes_on=timezone.localdate() + datetime.timedelta(days=10),
        actor=secretary,
    )


def test_demand_is_ranked_and_votes_count_once(survey, branch_a, member, secretary):
    a, b, c = member_of(member), member_of(secretary), MemberFactory(branch=branch_a)
    safety = topic_propose(survey=survey, member=a, title="交通安全生产", reason="一线执法")
    overload = topic_propose(survey=survey, member=b, title="治超")
    assert topic_vote(proposal=overload, member=c) is True
    assert topic_vote(proposal=overload, member=c) is False
    assert topic_vote(proposal=safety, member=a) is False  # the proposer already counts
    with pytest.raises(ValidationError):
        topic_propose(survey=survey, member=c, title="治超")
    assert [(p.title, p.demand) for p in topic_demand(survey)] == [("治超", 2), ("交通安全生产", 1)]


def test_closed_survey_and_other_branch_are_refused(survey, member, outsider):
    with pytest.raises(ValidationError):
        topic_propose(survey=survey, member=member_of(outsider), title="项目资金监管")
    late = survey.closes_on + datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        topic_propose(survey=survey, member=member_of(member), title="项目资金监管", today=late)


def test_plan_page_shows_requested_by_and_requesters_are_told(client, survey, branch_a, member, secretary):
    a, b = member_of(member), member_of(secretary)
    proposal = topic_propose(survey=survey, member=a, title="项目资金监管")
    topic_vote(proposal=proposal, member=b)
    plan = StudyPlan.objects.create(branch=branch_a, year=2027)
    item = StudyPlanItem.objects.create(plan=plan, month=3, topic="项目资金监管专题", kind="central_study")
    topic_link(proposal=proposal, plan_item=item, actor=secretary)
    assert requested_by_counts([item.pk]) == {item.pk: 2}
    client.force_login(member)
    page = client.get(reverse("plans:plan_detail", args=[branch_a.pk, 2027])).content.decode()
    assert "2 名党员提出需求" in page
    start = timezone.now() - datetime.timedelta(hours=3)
    lesson = LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=2), plan_item=item)
    lesson_close(lesson=lesson, actor=secretary)
    told = set(Notification.objects.filter(kind="topic_held").values_list("recipient_id", flat=True))
    assert told == {a.pk, b.pk}
    topic_requesters_notify(lesson=lesson)  # again: one notice each
    assert Notification.objects.filter(kind="topic_held", recipient=a).count() == 1


def test_survey_pages(client, survey, member, outsider):
    client.force_login(member)
    client.post(reverse("topics:topic_propose", args=[survey.pk]), {"title": "红色教育基地现场教学", "reason": ""})
    page = client.get(reverse("topics:survey_detail", args=[survey.pk])).content.decode()
    assert "红色教育基地现场教学" in page and 'data-demand="1"' in page
    client.force_login(outsider)
    assert client.get(reverse("topics:survey_detail", args=[survey.pk])).status_code == 404
    assert not TopicSurvey.objects.filter(proposals__member=member_of(outsider)).exists()
