from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.forms.supervision import EvidenceForm, ItemFormSet, ItemUpdateForm, VisitFilterForm, VisitForm
from assessments.models import RectificationEvidence, RectificationItem, SupervisionVisit
from assessments.selectors.supervision import (
    local_today,
    overdue_items,
    overdue_rectification_count,
    supervised_branch_ids,
    visit_detail,
    visit_years,
    visits_for_user,
)
from assessments.services.supervision import evidence_add, item_update, visit_create
from members.permissions import PLAIN_MEMBER, leadership_required, managed_branches, role_for, roles_for

VISITS_PER_PAGE = 20
OVERDUE_SHOWN = 10


# --- permission ------------------------------------------------------------


def _check_branch(request, branch_id: int) -> None:
    # Leadership and the branch's committee follow its rectification; a plain
    # member of the branch is refused (403), anyone else is told nothing (404).
    role = role_for(request.user, branch_id)
    if role is None:
        raise Http404
    if role.kind == PLAIN_MEMBER.kind:
        raise PermissionDenied


def _get_visit_for_user(request, visit_id: int) -> SupervisionVisit:
    visit = get_object_or_404(SupervisionVisit.objects.select_related("branch"), pk=visit_id)
    _check_branch(request, visit.branch_id)
    return visit


def _get_item_for_user(request, item_id: int) -> RectificationItem:
    item = get_object_or_404(RectificationItem.objects.select_related("visit__branch"), pk=item_id)
    _check_branch(request, item.visit.branch_id)
    return item


def _add_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- pages -----------------------------------------------------------------


def visit_list(request):
    roles = roles_for(request.user)
    if not (roles.is_leadership or roles.is_committee):
        raise PermissionDenied
    today = local_today()
    branch_ids = supervised_branch_ids(roles)
    form = VisitFilterForm(
        request.GET or None,
        years=[*visit_years(roles), today.year],
        branches=managed_branches(request.user),
    )
    filters = form.filters()
    visits = visits_for_user(roles, today=today, **filters)
    context = {
        "form": form,
        "filters": filters,
        "page": Paginator(visits, VISITS_PER_PAGE).get_page(request.GET.get("page")),
        "overdue": list(overdue_items(today=today, branch_ids=branch_ids)[:OVERDUE_SHOWN]),
        "overdue_total": overdue_rectification_count(branch_ids=branch_ids, today=today),
        "today": today,
        "can_create": roles.is_leadership,
    }
    return render(request, "assessments/visit_list.html", context)


def _posted_rows(data, prefix: str, fields) -> list[dict]:
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except ValueError:
        total = 0
    total = max(0, min(total, ItemFormSet.max_num))
    return [{name: data.get(f"{prefix}-{index}-{name}", "") for name in fields} for index in range(total)]


@leadership_required
def visit_create_view(request):
    if request.method == "POST" and request.POST.get("action") == "add_row":
        # Show one more empty row, keeping what was typed, without judging it yet.
        form = VisitForm(
            initial={name: request.POST.get(name, "") for name in VisitForm.base_fields},
            branches=managed_branches(request.user),
        )
        rows = _posted_rows(request.POST, "items", ("description", "owner", "deadline"))
        formset = ItemFormSet(initial=rows, prefix="items")
        formset.extra = min(len(rows) + 1, ItemFormSet.max_num)
        return render(request, "assessments/visit_form.html", {"form": form, "formset": formset})
    form = VisitForm(request.POST or None, branches=managed_branches(request.user))
    formset = ItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            visit = visit_create(data=form.cleaned_data, items=formset.rows(), actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The supervision visit was recorded."))
            return redirect(visit)
    status = 400 if request.method == "POST" else 200
    return render(request, "assessments/visit_form.html", {"form": form, "formset": formset}, status=status)


def _render_detail(request, visit: SupervisionVisit, *, bound=None, status: int = 200):
    detail = visit_detail(visit, today=local_today())
    full = roles_for(request.user).leads(visit.branch_id)
    rows = []
    for item in detail.items:
        update_form = ItemUpdateForm(item=item, full=full)
        evidence_form = EvidenceForm(item=item)
        if isinstance(bound, ItemUpdateForm) and bound.item.pk == item.pk:
            update_form = bound
        if isinstance(bound, EvidenceForm) and bound.item.pk == item.pk:
            evidence_form = bound
        rows.append({"item": item, "update_form": update_form, "evidence_form": evidence_form})
    context = {"visit": visit, "detail": detail, "rows": rows, "today": local_today()}
    return render(request, "assessments/visit_detail.html", context, status=status)


def visit_detail_view(request, visit_id):
    visit = _get_visit_for_user(request, visit_id)
    return _render_detail(request, visit)


@require_POST
def item_update_view(request, item_id):
    item = _get_item_for_user(request, item_id)
    form = ItemUpdateForm(request.POST, item=item, full=roles_for(request.user).leads(item.visit.branch_id))
    if form.is_valid():
        try:
            item_update(item=item, data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The rectification item was updated."))
            return redirect(f"{item.visit.get_absolute_url()}#item-{item.pk}")
    return _render_detail(request, item.visit, bound=form, status=400)


@require_POST
def evidence_add_view(request, item_id):
    item = _get_item_for_user(request, item_id)
    form = EvidenceForm(request.POST, request.FILES, item=item)
    if form.is_valid():
        try:
            evidence_add(item=item, upload=form.cleaned_data["file"], actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The evidence file was uploaded."))
            return redirect(f"{item.visit.get_absolute_url()}#item-{item.pk}")
    return _render_detail(request, item.visit, bound=form, status=400)


def evidence_download(request, evidence_id):
    evidence = get_object_or_404(RectificationEvidence.objects.select_related("item__visit"), pk=evidence_id)
    _check_branch(request, evidence.item.visit.branch_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=str(evidence))
