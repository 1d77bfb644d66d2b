from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.forms.awards import (
    BranchFilterForm,
    RatingCriterionFormSet,
    RatingForm,
    StarAwardForm,
    StarCategoryFormSet,
)
from assessments.models import BranchRating, StarAward
from assessments.selectors.awards import (
    branch_rating_detail,
    branch_ratings,
    rating_outcome_distribution,
    stars_for_year,
)
from assessments.services.awards import (
    RATED_BRANCH_KINDS,
    branch_rating_save,
    rating_criteria,
    rating_criteria_update,
    star_award_create,
    star_award_withdraw,
    star_categories,
    star_categories_update,
    suggested_outcome,
)
from members.permissions import get_branch_for_user, leadership_required, roles_for, top_level_required

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404


def _year_nav(year):
    return {
        "year": year,
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
    }


# --- stars -----------------------------------------------------------------


def _render_stars(request, year, *, filter_form, award_form=None, status=200):
    branch = filter_form.selected_branch()
    branch_ids = [branch.pk] if branch else None
    categories = star_categories()
    rows = stars_for_year(year, branch_ids=branch_ids, categories=categories)
    roles = roles_for(request.user)
    is_leadership = roles.leads(branch.pk) if branch is not None else roles.is_leadership
    if is_leadership and branch is not None and award_form is None:
        award_form = StarAwardForm(branch=branch, categories=categories)
    context = {
        **_year_nav(year),
        "rows": rows,
        "five_star": [row for row in rows if row.is_five_star],
        "active_categories": [c for c in categories if c.is_active],
        "filter_form": filter_form,
        "branch": branch,
        "can_award": is_leadership,
        "award_form": award_form if is_leadership else None,
    }
    return render(request, "assessments/stars.html", context, status=status)


def star_list(request, year):
    _check_year(year)
    return _render_stars(request, year, filter_form=BranchFilterForm(request.GET or None))


@require_POST
@leadership_required
def star_award_view(request, year):
    _check_year(year)
    filter_form = BranchFilterForm(request.POST)
    branch = filter_form.selected_branch()
    if branch is None:
        messages.error(request, _("Choose a branch first, then a member of it."))
        return redirect("awards:star_list", year=year)
    if not roles_for(request.user).leads(branch.pk):
        raise Http404
    form = StarAwardForm(request.POST, branch=branch)
    if form.is_valid():
        try:
            award = star_award_create(
                member=form.cleaned_data["member"],
                year=year,
                category=form.cleaned_data["category"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("%(member)s was awarded the star “%(category)s” for %(year)d.")
                % {"member": award.member.full_name, "category": award.category.name, "year": year},
            )
            url = reverse("awards:star_list", kwargs={"year": year})
            return redirect(f"{url}?{urlencode({'branch': branch.pk})}")
    return _render_stars(request, year, filter_form=filter_form, award_form=form, status=400)


@require_POST
@leadership_required
def star_award_withdraw_view(request, award_id):
    award = get_object_or_404(StarAward.objects.select_related("member", "category"), pk=award_id)
    if not roles_for(request.user).leads(award.member.branch_id):
        raise Http404
    names = {"member": award.member.full_name, "category": award.category.name}
    if star_award_withdraw(award=award, actor=request.user):
        messages.success(request, _("The star “%(category)s” of %(member)s was withdrawn.") % names)
    else:
        messages.info(request, _("The star “%(category)s” of %(member)s had already been withdrawn.") % names)
    url = reverse("awards:star_list", kwargs={"year": award.year})
    return redirect(f"{url}?{urlencode({'branch': award.member.branch_id})}")


# --- branch rating ---------------------------------------------------------


def rating_list(request, year):
    _check_year(year)
    roles = roles_for(request.user)
    table = branch_ratings(year, with_scores=roles.is_top_level)
    context = {
        **_year_nav(year),
        "table": table,
        "distribution": rating_outcome_distribution(year),
        "outcomes": BranchRating.Outcome.choices,
        "show_scores": roles.is_top_level,
        # Score details: the top level for every branch, a scoped leadership or a committee for its subtree.
        "detail_branch_ids": roles.scope_ids,
    }
    return render(request, "assessments/ratings.html", context)


def _initial_for(detail):
    initial = {RatingForm.field_name(cell.criterion): cell.score for cell in detail.scores if cell.score is not None}
    if detail.rating is not None:
        initial["comment"] = detail.rating.comment
        # Keep an earlier override selected, so saving again does not drop it.
        if detail.is_overridden:
            initial["outcome"] = detail.rating.outcome
    return initial


def rating_detail(request, year, branch_id):
    _check_year(year)
    branch = get_branch_for_user(request, branch_id)
    if branch.kind not in RATED_BRANCH_KINDS:
        raise Http404
    roles = roles_for(request.user)
    if not roles.leads(branch.pk) and branch.pk not in roles.committee_branch_ids:
        raise PermissionDenied
    detail = branch_rating_detail(branch, year)
    form = None
    status = 200
    if roles.leads(branch.pk):
        criteria = [cell.criterion for cell in detail.scores if cell.criterion.is_active]
        form = RatingForm(request.POST or None, criteria=criteria, initial=_initial_for(detail))
        if request.method == "POST":
            if form.is_valid():
                try:
                    rating = branch_rating_save(
                        branch=branch,
                        year=year,
                        scores=form.scores(),
                        comment=form.cleaned_data["comment"],
                        outcome=form.cleaned_data["outcome"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    form.add_error(None, exc.messages)
                else:
                    suggestion = suggested_outcome(form.scores().values())
                    if rating.outcome != suggestion:
                        message = _("The rating was saved: %(outcome)s (the scores suggest %(suggested)s).")
                    else:
                        message = _("The rating was saved: %(outcome)s.")
                    messages.success(
                        request,
                        message
                        % {
                            "outcome": rating.get_outcome_display(),
                            "suggested": BranchRating.Outcome(suggestion).label,
                        },
                    )
                    return redirect("awards:rating_list", year=year)
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    context = {**_year_nav(year), "branch": branch, "detail": detail, "form": form}
    return render(request, "assessments/rating_form.html", context, status=status)


# --- configuration ---------------------------------------------------------


def _config_initial(rows, fields):
    return [{name: getattr(row, "pk" if name == "id" else name) for name in fields} for row in rows]


@top_level_required
def awards_config(request):
    data = request.POST if request.method == "POST" else None
    stars = StarCategoryFormSet(
        data,
        initial=_config_initial(star_categories(), ("id", "name", "sort_order", "is_active")),
        prefix="stars",
    )
    criteria = RatingCriterionFormSet(
        data,
        initial=_config_initial(rating_criteria(), ("id", "name", "group", "sort_order", "is_active")),
        prefix="criteria",
    )
    errors = []
    if data is not None and stars.is_valid() and criteria.is_valid():
        try:
            # Both or neither, so a refused criterion leaves the stars unsaved too.
            with transaction.atomic():
                star_categories_update(rows=stars.rows(), actor=request.user)
                rating_criteria_update(rows=criteria.rows(), actor=request.user)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("The star categories and rating criteria were saved."))
            return redirect("awards:config")
    context = {"stars": stars, "criteria": criteria, "errors": errors, "year": timezone.localdate().year}
    return render(request, "assessments/awards_config.html", context, status=400 if data is not None else 200)
