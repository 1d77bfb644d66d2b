"""Topics members ask for (培训需求): surveys, proposals and votes, links to plans and lessons, telling requesters."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from members.models import Member
from members.services.notifications import Message, notify_many
from training.models import Lesson, StudyPlanItem, TopicProposal, TopicSurvey, TopicVote


@transaction.atomic
def topic_survey_open(*, branch, year: int, title: str, closes_on, actor) -> TopicSurvey:
    """Open a topic survey for a branch (None: the whole bureau) before the year's plan is written."""
    survey = TopicSurvey(branch=branch, year=year, title=title.strip(), closes_on=closes_on)
    survey.created_by = actor if getattr(actor, "is_authenticated", False) else None
    survey.full_clean()
    survey.save()
    audit_record(actor=actor, action="topic_survey.opened", target=survey)
    return survey


def survey_is_for(survey: TopicSurvey, member: Member) -> bool:
    """A bureau survey is for every member; a branch's for its members and those of the branches under it."""
    return survey.branch_id is None or survey.branch_id in (member.branch_id, member.branch.parent_id)


def _check_open(survey: TopicSurvey, member: Member, today) -> None:
    if (today or timezone.localdate()) > survey.closes_on:
        raise ValidationError(_("The survey is closed."), code="closed")
    if not survey_is_for(survey, member):
        raise ValidationError(_("This survey is not for your branch."), code="not_audience")


def topic_propose(*, survey: TopicSurvey, member: Member, title: str, reason: str = "", today=None) -> TopicProposal:
    """Propose a topic; the proposer's vote comes with it. The same title twice is refused."""
    _check_open(survey, member, today)
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Name the topic.")}, code="no_title")
    try:
        with transaction.atomic():
            proposal = TopicProposal.objects.create(
                survey=survey, member=member, title=title[:100], reason=reason.strip()
            )
            TopicVote.objects.create(proposal=proposal, member=member)
    except IntegrityError:
        raise ValidationError(
            {"title": _("This topic was already proposed: vote for it instead.")}, code="twice"
        ) from None
    return proposal


def topic_vote(*, proposal: TopicProposal, member: Member, today=None) -> bool:
    """Vote for a topic once; return False when the member had already voted."""
    _check_open(proposal.survey, member, today)
    try:
        with transaction.atomic():
            TopicVote.objects.create(proposal=proposal, member=member)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def topic_link(*, proposal: TopicProposal, plan_item: StudyPlanItem | None = None, lesson: Lesson | None = None, actor):
    """Link a requested topic to a plan item or a lesson that answers it."""
    if plan_item is not None:
        proposal.plan_items.add(plan_item)
    if lesson is not None:
        proposal.lessons.add(lesson)
    audit_record(
        actor=actor,
        action="topic.linked",
        target=proposal,
        payload={"plan_item": plan_item.pk if plan_item else None, "lesson": lesson.pk if lesson else None},
    )


def topic_requesters(lesson: Lesson):
    """Members who proposed or voted for a topic the lesson answers (directly or through its plan item)."""
    linked = Q(proposal__lessons=lesson)
    if lesson.plan_item_id:
        linked |= Q(proposal__plan_items=lesson.plan_item_id)
    return Member.objects.filter(pk__in=TopicVote.objects.filter(linked).values("member_id"))


def topic_requesters_notify(*, lesson: Lesson) -> int:
    """Tell those who asked for the lesson's topics that it was held; safe to run twice (deduplicated)."""
    requesters = list(topic_requesters(lesson))
    if not requesters:
        return 0
    url = reverse("training:lesson_detail", kwargs={"lesson_id": lesson.pk})
    message = Message(
        kind="topic_held",
        target=f"lesson:{lesson.pk}",
        period="held",
        title=_("A topic you asked for was taught: %(title)s") % {"title": lesson.title},
        body=_(
            "The lesson “%(title)s” on %(day)s answered a topic you asked for. "
            "Its materials and results are on its page."
        )
        % {"title": lesson.title, "day": timezone.localtime(lesson.start).strftime("%Y-%m-%d")},
        url=url,
    )
    return notify_many(lambda member: message, requesters, channels=("in_app",))
