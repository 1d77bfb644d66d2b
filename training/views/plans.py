from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.permissions import get_branch_for_user, roles_for, top_level_required
from training.forms.plans import MeetingRuleFormSet, PlanItemForm, StudyRequirementForm
from training.models import MeetingRule, StudyPlanItem
from training.rules import meeting_rules, study_requirement_for
from training.selectors.plans import branch_training_panel
from training.selectors.topics import requested_by_counts
from training.services.plans import (
    meeting_rules_update,
    plan_item_add,
    plan_item_delete,
    study_plan_get_or_create,
    study_requirement_update,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404


def _branch_for_plan_edit(request, branch_id):
    # Leadership may write elsewhere, but a plan belongs to the branch's own
    # committee: only its members change it.
    branch = get_branch_for_user(request, branch_id, write=True)
    if branch.pk not in roles_for(request.user).committee_branch_ids:
        raise PermissionDenied
    return branch


def _render_plan(request, branch, year, form, *, status=200):
    can_edit = branch.pk in roles_for(request.user).committee_branch_ids
    panel = branch_training_panel(branch, year, roles=roles_for(request.user))
    requested = requested_by_counts(item.pk for item in panel.plan.items)
    for item in panel.plan.items:
        item.requested_by = requested.get(item.pk, 0)
    context = {
        "branch": branch,
        "year": year,
        "panel": panel,
        "can_edit": can_edit,
        "form": form if can_edit else None,
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
    }
    return render(request, "training/plan_detail.html", context, status=status)


def plan_detail(request, branch_id, year):
    _check_year(year)
    branch = get_branch_for_user(request, branch_id)
    return _render_plan(request, branch, year, PlanItemForm())


@require_POST
def plan_item_add_view(request, branch_id, year):
    _check_year(year)
    branch = _branch_for_plan_edit(request, branch_id)
    form = PlanItemForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                plan = study_plan_get_or_create(branch=branch, year=year, actor=request.user)
                plan_item_add(plan=plan, data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The plan item was added."))
            return redirect("plans:plan_detail", branch_id=branch.pk, year=year)
    return _render_plan(request, branch, year, form, status=400)


@require_POST
def plan_item_delete_view(request, item_id):
    item = get_object_or_404(StudyPlanItem.objects.select_related("plan"), pk=item_id)
    branch = _branch_for_plan_edit(request, item.plan.branch_id)
    plan_item_delete(item=item, actor=request.user)
    messages.success(request, _("The plan item was deleted."))
    return redirect("plans:plan_detail", branch_id=branch.pk, year=item.plan.year)


@top_level_required
def rules_edit(request, year):
    _check_year(year)
    requirement = study_requirement_for(year)
    initial = [{"kind": r.kind, "period": r.period, "times": r.times} for r in meeting_rules()]
    data = request.POST if request.method == "POST" else None
    form = StudyRequirementForm(data, instance=requirement, prefix="requirement")
    formset = MeetingRuleFormSet(data, initial=initial, prefix="rules")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            # Both or neither: a refused rule must not leave the hours saved.
            with transaction.atomic():
                study_requirement_update(requirement=requirement, data=form.cleaned_data, actor=request.user)
                meeting_rules_update(rows=formset.rows(), actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The study requirements and meeting rules were saved."))
            return redirect("plans:rules_edit", year=year)
    context = {
        "year": year,
        "form": form,
        "formset": formset,
        "period_choices": MeetingRule.Period.choices,
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
    }
    return render(request, "training/rules_form.html", context, status=400 if request.method == "POST" else 200)
