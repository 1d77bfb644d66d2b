"""Study-hour progress pages: a member's own, and a branch's for its committee and leadership."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from members.permissions import get_branch_for_user, roles_for

from .progress import ORDERS, _local_today, branch_progress, branch_progress_summary, member_progress

FIRST_YEAR, LAST_YEAR = 2000, 2100
ORDER_CHOICES = [(key, key) for key in ORDERS] + [(f"-{key}", f"-{key}") for key in ORDERS]


class ProgressQueryForm(forms.Form):
    year = forms.IntegerField(label=_("year"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    order = forms.ChoiceField(label=_("order"), required=False, choices=ORDER_CHOICES)


def _query(request, *, default_year):
    """Return (year, order) from the query string; 404 for a year out of range."""
    form = ProgressQueryForm(request.GET)
    form.is_valid()
    if "year" in form.errors:
        raise Http404
    year = form.cleaned_data.get("year") or default_year
    # An unknown order falls back to names rather than failing the page.
    order = form.cleaned_data.get("order") or "name"
    return year, order


def _year_links(year):
    return {
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < LAST_YEAR else None,
    }


def my_progress(request):
    roles = roles_for(request.user)
    if roles.member is None:
        raise Http404
    today = _local_today()
    year, _order = _query(request, default_year=today.year)
    context = {"progress": member_progress(roles.member, year, today=today), "year": year, **_year_links(year)}
    return render(request, "training/my_progress.html", context)


def branch_progress_view(request, branch_id):
    branch = get_branch_for_user(request, branch_id)
    roles = roles_for(request.user)
    if not (roles.is_leadership or branch.pk in roles.committee_branch_ids):
        raise PermissionDenied
    today = _local_today()
    year, order = _query(request, default_year=today.year)
    rows = branch_progress(branch, year, today=today, order=order)
    context = {
        "branch": branch,
        "year": year,
        "order": order,
        "rows": rows,
        "summary": branch_progress_summary(rows),
        **_year_links(year),
    }
    return render(request, "training/branch_progress.html", context)
