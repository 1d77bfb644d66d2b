"""Study-hour progress pages: a member's own, and a branch's for its committee and leadership."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.permissions import get_branch_for_user, roles_for
from training.selectors.figures import figures_freshness
from training.selectors.progress import ORDERS, branch_progress, branch_progress_summary, bureau_today, member_progress

FIRST_YEAR, LAST_YEAR = 2000, 2100
ORDER_CHOICES = [(key, key) for key in ORDERS] + [(f"-{key}", f"-{key}") for key in ORDERS]


class ProgressQueryForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("year"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    order = forms.ChoiceField(label=gettext_lazy("order"), required=False, choices=ORDER_CHOICES)


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


def _columns(order):
    """Return the sortable columns: a click sorts ascending, a second click descending."""
    labels = {
        "name": _("Full name"),
        "centralised": _("Centralised study"),
        "self_study": _("Self-study"),
        "online": _("Online study"),
        "total": _("Total"),
        "progress": _("Progress"),
    }
    columns = []
    for key, label in labels.items():
        state = "ascending" if order == key else "descending" if order == f"-{key}" else None
        columns.append(
            {
                "key": key,
                "label": label,
                "sort": state,
                "next_order": f"-{key}" if state == "ascending" else key,
                "numeric": key != "name",
            }
        )
    return columns


def my_progress(request):
    roles = roles_for(request.user)
    if roles.member is None:
        raise Http404
    today = bureau_today()
    year, _order = _query(request, default_year=today.year)
    context = {
        "progress": member_progress(roles.member, year, today=today),
        "freshness": figures_freshness(year),
        "year": year,
        **_year_links(year),
    }
    return render(request, "training/my_progress.html", context)


def branch_progress_view(request, branch_id):
    branch = get_branch_for_user(request, branch_id)
    roles = roles_for(request.user)
    # Plain members of the branch may open the branch, not their colleagues' hours.
    if not (roles.leads(branch.pk) or branch.pk in roles.committee_branch_ids):
        raise PermissionDenied
    today = bureau_today()
    year, order = _query(request, default_year=today.year)
    rows = branch_progress(branch, year, today=today, order=order)
    context = {
        "branch": branch,
        "year": year,
        "today": today,
        "order": order,
        "columns": _columns(order),
        "rows": rows,
        "summary": branch_progress_summary(rows),
        "freshness": figures_freshness(year),
        **_year_links(year),
    }
    return render(request, "training/branch_progress.html", context)
