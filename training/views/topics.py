"""Topic surveys (培训需求): members propose and vote; committees see the demand and link plans and lessons."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.permissions import manager_required, own_member, roles_for
from training.forms.quizzes import owner_branch
from training.forms.topics import TopicLinkForm, TopicProposalForm, TopicSurveyForm
from training.models import Lesson, StudyPlanItem, TopicProposal
from training.selectors import topics as selectors
from training.services import topics as services


def _survey_for(request, survey_id):
    return get_object_or_404(selectors.topic_surveys_for(roles_for(request.user)), pk=survey_id)


def _may_link(roles, survey) -> bool:
    if survey.branch_id is None:
        return roles.is_top_level
    return roles.leads(survey.branch_id) or survey.branch_id in roles.committee_branch_ids


def _link_form(roles, survey, data=None) -> TopicLinkForm:
    branches = roles.scope_ids
    items = StudyPlanItem.objects.select_related("plan__branch").filter(plan__year=survey.year)
    lessons = Lesson.objects.exclude(status=Lesson.Status.CANCELLED).filter(start__year__gte=survey.year - 1)
    if branches is not None:
        items = items.filter(plan__branch_id__in=branches)
        lessons = lessons.filter(organiser_id__in=branches)
    return TopicLinkForm(data, plan_items=items.order_by("month", "pk"), lessons=lessons.order_by("-start")[:200])


def survey_list(request):
    roles = roles_for(request.user)
    context = {"surveys": selectors.topic_surveys_for(roles), "can_create": roles.manages_members}
    return render(request, "training/topic_survey_list.html", context)


@manager_required
def survey_create(request):
    roles = roles_for(request.user)
    form = TopicSurveyForm(request.POST or None, roles=roles, initial={"year": timezone.localdate().year + 1})
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.topic_survey_open(
                branch=owner_branch(form.cleaned_data["owner"]),
                year=form.cleaned_data["year"],
                title=form.cleaned_data["title"],
                closes_on=form.cleaned_data["closes_on"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The topic survey was opened."))
            return redirect("topics:survey_detail", survey_id=survey.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/topic_survey_form.html", {"form": form}, status=status)


def survey_detail(request, survey_id):
    survey = _survey_for(request, survey_id)
    roles = roles_for(request.user)
    may_link = _may_link(roles, survey)
    context = {
        "survey": survey,
        "proposals": selectors.topic_demand(survey),
        "voted": selectors.voted_proposal_ids(survey, roles.member),
        "may_propose": roles.member is not None
        and timezone.localdate() <= survey.closes_on
        and services.survey_is_for(survey, roles.member),
        "form": TopicProposalForm(),
        "may_link": may_link,
        "link_form": _link_form(roles, survey) if may_link else None,
    }
    return render(request, "training/topic_survey_detail.html", context)


@require_POST
def topic_propose_view(request, survey_id):
    survey = _survey_for(request, survey_id)
    form = TopicProposalForm(request.POST)
    if form.is_valid():
        try:
            services.topic_propose(
                survey=survey,
                member=own_member(request),
                title=form.cleaned_data["title"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your topic was added."))
    else:
        messages.error(request, _("Name the topic."))
    return redirect("topics:survey_detail", survey_id=survey.pk)


@require_POST
def topic_vote_view(request, proposal_id):
    proposal = get_object_or_404(TopicProposal.objects.select_related("survey"), pk=proposal_id)
    _survey_for(request, proposal.survey_id)
    try:
        services.topic_vote(proposal=proposal, member=own_member(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("topics:survey_detail", survey_id=proposal.survey_id)


@require_POST
def topic_link_view(request, proposal_id):
    proposal = get_object_or_404(TopicProposal.objects.select_related("survey"), pk=proposal_id)
    survey = _survey_for(request, proposal.survey_id)
    roles = roles_for(request.user)
    if not _may_link(roles, survey):
        raise PermissionDenied
    form = _link_form(roles, survey, request.POST)
    if form.is_valid() and (form.cleaned_data["plan_item"] or form.cleaned_data["lesson"]):
        services.topic_link(
            proposal=proposal,
            plan_item=form.cleaned_data["plan_item"],
            lesson=form.cleaned_data["lesson"],
            actor=request.user,
        )
        messages.success(request, _("The topic was linked."))
    else:
        messages.error(request, _("Choose a plan item or a lesson."))
    return redirect("topics:survey_detail", survey_id=survey.pk)
