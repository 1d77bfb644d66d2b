from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.exports.dashboard import dashboard_xlsx
from assessments.forms.yearend import ApplyToAllForm, ReopenForm, SchemeForm, SelfSummaryForm
from assessments.models import BranchAssessment, YearEndAssessment
from assessments.permissions import get_assessed_branch, get_assessed_member
from assessments.selectors import dashboards as dashboards
from assessments.selectors import ranking as ranking_selectors
from assessments.selectors.charts import chart_data
from assessments.selectors.history import history_rows
from assessments.services.indicators import indicators_recompute, scheme_for
from assessments.services.yearend import (
    branch_assessment_for,
    branch_confirm,
    branch_reopen,
    branch_submit,
    branch_verdicts_save,
    rule_violations,
    scheme_update,
    self_summary_save,
)
from branches.models import Branch, ancestors_of
from core.models import AuditEntry
from members.permissions import leadership_required, roles_for, top_level_required
from training.forms.plans import StudyRequirementForm
from training.rules import study_requirement_for
from training.selectors.figures import figures_freshness
from training.selectors.live import interaction_figures_for_year
from training.services.plans import study_requirement_update

RANKING_PAGE_SIZE = 30
INTERACTION_ROWS = 10
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chart_context(data, rows=None) -> dict:
    charts = chart_data(data, rows)
    return {
        "charts": charts,
        "hour_rows": list(zip(charts["hours_labels"], charts["hours_values"], strict=True)),
        "evaluation_rows": list(zip(charts["evaluation_labels"], charts["evaluation_values"], strict=True)),
    }


def _year(request) -> int:
    value = request.GET.get("year") or request.POST.get("year") or ""
    if not value:
        return timezone.localdate().year
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise Http404
    return int(value)


def _home_organisation(roles) -> Branch | None:
    """The highest organisation a scoped leadership leads, or a committee serves when it has branches below."""
    if roles.is_leadership:
        return Branch.objects.filter(pk__in=roles.led_ids).order_by("depth", "sort_order", "code").first()
    top = Branch.objects.filter(pk__in=roles.committee_branch_ids).order_by("depth", "sort_order", "code").first()
    if top is not None and any(pk != top.pk for pk in roles.committee_branch_ids):
        return top
    return None


def _dashboard_organisation(request, org_id: int) -> Branch:
    """An organisation whose subtree dashboard the user may open: the top level, or within their subtrees; else 404."""
    roles = roles_for(request.user)
    organisation = get_object_or_404(Branch, pk=org_id)
    if not (roles.leads(organisation.pk) or organisation.pk in roles.committee_branch_ids):
        raise Http404
    return organisation


def _scope_of_request(request, year):
    """(organisation or None for the whole tree, or a redirect) for the dashboard and its export."""
    roles = roles_for(request.user)
    org = request.GET.get("org", "")
    if org.isdigit():
        return _dashboard_organisation(request, int(org)), None
    if roles.is_top_level:
        return None, None
    organisation = _home_organisation(roles)
    if organisation is not None:
        return organisation, None
    if roles.committee_branch_ids:
        branch_id = min(roles.committee_branch_ids)
        return None, redirect(f"{reverse('assessments:branch_dashboard', args=[branch_id])}?year={year}")
    if roles.member is not None:
        return None, redirect("assessments:member_result", member_id=roles.member.pk, year=year)
    raise PermissionDenied


def _crumbs(roles, organisation: Branch | None) -> list[Branch]:
    """The organisations above *organisation* that the user may open, root first."""
    if organisation is None:
        return []
    allowed = [pk for pk in organisation.ancestor_ids[:-1] if roles.leads(pk) or pk in roles.committee_branch_ids]
    if not allowed:  # nothing above to open: no query
        return []
    return [b for b in ancestors_of(organisation) if b.pk in allowed]


def dashboard_view(request):
    """The dashboard of the whole tree (top level) or of one organisation's subtree; others land on their own."""
    roles = roles_for(request.user)
    year = _year(request)
    branch = request.GET.get("branch", "")
    if branch.isdigit():
        return redirect(f"{reverse('assessments:branch_dashboard', args=[int(branch)])}?year={year}")
    organisation, elsewhere = _scope_of_request(request, year)
    if elsewhere is not None:
        return elsewhere
    order = request.GET.get("order", "score")
    order = order if order in ranking_selectors.RANKING_ORDERS else "score"
    query = request.GET.get("q", "").strip()[:50]
    page = request.GET.get("page")
    # A page of the ranking, so that the page costs the same for 20 branches or 4,000.
    if organisation is None:
        data, ranking = ranking_selectors.tree_dashboard(
            year, order=order, query=query, page=page, size=RANKING_PAGE_SIZE
        )
    else:
        data = dashboards.subtree_dashboard(year, organisation)
        ranking = Paginator(ranking_selectors.ranked(data.rows, order, query), RANKING_PAGE_SIZE).get_page(page)
    interaction = None
    if organisation is None:
        every = request.GET.get("interaction") == "all"
        interaction = interaction_figures_for_year(year, limit=None if every else INTERACTION_ROWS)
    return render(
        request,
        "assessments/dashboard.html",
        {
            "data": data,
            "year": year,
            "order": order,
            "query": query,
            "ranking": ranking,
            "organisation": organisation,
            "crumbs": _crumbs(roles, organisation),
            "roots": list(Branch.objects.filter(parent__isnull=True).order_by("sort_order", "code"))
            if organisation is None
            else [],
            "years": range(timezone.localdate().year, 2019, -1),
            "interaction": interaction,
            **_chart_context(data, ranking.object_list),
        },
    )


def branch_dashboard(request, branch_id):
    branch = get_assessed_branch(request, branch_id)
    roles = roles_for(request.user)
    year = _year(request)
    data = dashboards.dashboard(year, branch_ids=[branch.pk])
    state = BranchAssessment.objects.filter(branch=branch, year=year).first()
    return render(
        request,
        "assessments/branch_dashboard.html",
        {
            "branch": branch,
            "year": year,
            "data": data,
            "row": data.rows[0] if data.rows else None,
            "members": dashboards.member_rows(branch.pk, year),
            "state": state,
            "can_write": branch.pk in roles.committee_branch_ids,
            # Back up the tree, where the user may open the level above.
            "up_org": branch.parent_id is not None
            and (roles.leads(branch.parent_id) or branch.parent_id in roles.committee_branch_ids),
            "reopen_form": ReopenForm(),
            "years": range(timezone.localdate().year, 2019, -1),
            **_chart_context(data),
        },
    )


def member_result(request, member_id, year):
    member = get_assessed_member(request, member_id)
    roles = roles_for(request.user)
    assessment = YearEndAssessment.objects.filter(member=member, year=year).select_related("branch").first()
    state = BranchAssessment.objects.filter(branch_id=assessment.branch_id, year=year).first() if assessment else None
    is_self = roles.member is not None and roles.member.pk == member.pk
    editable = is_self and (state is None or state.status == BranchAssessment.Status.DRAFT)
    return render(
        request,
        "assessments/member_result.html",
        {
            "member": member,
            "year": year,
            "a": assessment,
            "scheme": scheme_for(year),
            "freshness": figures_freshness(year),
            "state": state,
            "summary_form": SelfSummaryForm(initial={"text": assessment.self_summary if assessment else ""}),
            "can_edit_summary": editable,
        },
    )


@require_POST
def self_summary_view(request, member_id, year):
    member = get_assessed_member(request, member_id)
    roles = roles_for(request.user)
    if roles.member is None or roles.member.pk != member.pk:
        raise PermissionDenied
    form = SelfSummaryForm(request.POST)
    if form.is_valid():
        try:
            self_summary_save(member=member, year=year, text=form.cleaned_data["text"], actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your self-summary was saved."))
    else:
        messages.error(request, _("Please write your self-summary."))
    return redirect("assessments:member_result", member_id=member.pk, year=year)


def _posted_verdicts(request, rows) -> None:
    # Show what the secretary typed, not what is stored: nothing is lost when
    # the page comes back with an error or after "apply to all".
    for row in rows:
        row.evaluation = request.POST.get(f"evaluation_{row.member_id}", row.evaluation)
        row.branch_rating = request.POST.get(f"rating_{row.member_id}", row.branch_rating)


def verdicts_view(request, branch_id, year):
    branch = get_assessed_branch(request, branch_id, write=request.method == "POST")
    state = branch_assessment_for(branch.pk, year)
    errors = []
    apply_form = ApplyToAllForm()
    rows = None
    if request.method == "POST" and request.POST.get("action") == "apply_all":
        apply_form = ApplyToAllForm(request.POST)
        rows = dashboards.member_rows(branch.pk, year)
        _posted_verdicts(request, rows)
        if apply_form.is_valid():
            count = apply_form.apply(rows)
            messages.info(
                request,
                _("Filled in for %(count)d members. Nothing is saved until you press Save.") % {"count": count},
            )
            apply_form = ApplyToAllForm(initial=apply_form.cleaned_data)
        else:
            errors = [error for field_errors in apply_form.errors.values() for error in field_errors]
    elif request.method == "POST":
        verdicts = {}
        for row in YearEndAssessment.objects.filter(branch=branch, year=year).values_list("member_id", flat=True):
            evaluation = request.POST.get(f"evaluation_{row}", "")
            rating = request.POST.get(f"rating_{row}", "").strip()
            if rating and not rating.isdigit():
                errors.append(_("A rating is a number from 0 to 100."))
                break
            verdicts[row] = (evaluation, int(rating) if rating else None)
        if not errors:
            try:
                changed = branch_verdicts_save(branch_id=branch.pk, year=year, verdicts=verdicts, actor=request.user)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("Saved: %(count)d members changed.") % {"count": changed})
                if request.POST.get("action") == "submit":
                    try:
                        branch_submit(branch_id=branch.pk, year=year, actor=request.user)
                    except ValidationError as exc:
                        for message in exc.messages:
                            messages.error(request, message)
                    else:
                        messages.success(request, _("The branch's results were submitted to leadership."))
                return redirect("assessments:verdicts", branch_id=branch.pk, year=year)
    if rows is None:
        rows = dashboards.member_rows(branch.pk, year)
        if errors:
            _posted_verdicts(request, rows)
    return render(
        request,
        "assessments/verdicts.html",
        {
            "branch": branch,
            "year": year,
            "rows": rows,
            "state": state,
            "errors": errors,
            "apply_form": apply_form,
            "unsaved": request.method == "POST" and not errors,
            "violations": rule_violations(branch.pk, year),
            "evaluations": YearEndAssessment.Evaluation.choices,
            "can_write": branch.pk in roles_for(request.user).committee_branch_ids and state.status == "draft",
        },
        status=400 if errors else 200,
    )


@require_POST
def confirm_view(request, branch_id, year):
    branch = get_assessed_branch(request, branch_id)
    try:
        branch_confirm(
            branch_id=branch.pk, year=year, actor=request.user, is_leadership=roles_for(request.user).leads(branch.pk)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The branch's results are confirmed and now read-only."))
    return redirect(f"{reverse('assessments:branch_dashboard', args=[branch.pk])}?year={year}")


@require_POST
def reopen_view(request, branch_id, year):
    branch = get_assessed_branch(request, branch_id)
    form = ReopenForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        branch_reopen(
            branch_id=branch.pk,
            year=year,
            reason=reason,
            actor=request.user,
            is_leadership=roles_for(request.user).leads(branch.pk),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The branch's results were reopened."))
    return redirect(f"{reverse('assessments:branch_dashboard', args=[branch.pk])}?year={year}")


@leadership_required
def history_view(request, branch_id, year):
    branch = get_assessed_branch(request, branch_id)
    ids = [str(pk) for pk in YearEndAssessment.objects.filter(branch=branch, year=year).values_list("pk", flat=True)]
    state = BranchAssessment.objects.filter(branch=branch, year=year).first()
    entries = AuditEntry.objects.select_related("actor").filter(
        target_type="assessments.yearendassessment", target_id__in=ids
    )
    if state is not None:
        entries = entries | AuditEntry.objects.select_related("actor").filter(
            target_type="assessments.branchassessment", target_id=str(state.pk)
        )
    names = dict(YearEndAssessment.objects.filter(branch=branch, year=year).values_list("pk", "member__full_name"))
    rows = history_rows(entries.order_by("-at", "-pk")[:500], names)
    return render(request, "assessments/history.html", {"branch": branch, "year": year, "rows": rows})


@top_level_required
def scheme_view(request, year):
    scheme = scheme_for(year)
    requirement = study_requirement_for(year)
    scheme_form = SchemeForm(request.POST or None, instance=scheme, prefix="scheme")
    requirement_form = StudyRequirementForm(request.POST or None, instance=requirement, prefix="req")
    if request.method == "POST" and scheme_form.is_valid() and requirement_form.is_valid():
        try:
            scheme_update(scheme=scheme_for(year), data=scheme_form.cleaned_data, actor=request.user)
            study_requirement_update(requirement=requirement, data=requirement_form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            scheme_form.add_error(None, exc)
        else:
            messages.success(request, _("The %(year)d scheme was saved.") % {"year": year})
            return redirect("assessments:scheme", year=year)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "assessments/scheme_form.html",
        {
            "year": year,
            "scheme_form": scheme_form,
            "requirement_form": requirement_form,
        },
        status=status,
    )


@require_POST
@top_level_required
def recompute_view(request):
    year = _year(request)
    count = indicators_recompute(year)
    messages.success(request, _("Indicators recomputed for %(count)d members.") % {"count": count})
    return redirect(f"{reverse('assessments:dashboard')}?year={year}")


def export_view(request):
    roles = roles_for(request.user)
    year = _year(request)
    branch = request.GET.get("branch", "")
    org = request.GET.get("org", "")
    if branch.isdigit():
        branch_ids = [get_assessed_branch(request, int(branch)).pk]
    elif org.isdigit() or (roles.is_leadership and not roles.is_top_level):
        organisation = _dashboard_organisation(request, int(org)) if org.isdigit() else _home_organisation(roles)
        if organisation is None:
            raise PermissionDenied
        data = dashboards.subtree_dashboard(year, organisation)
        return _xlsx_response(dashboard_xlsx(data, members=None), year)
    elif roles.is_top_level:
        branch_ids = None
    else:
        raise PermissionDenied
    data = dashboards.dashboard(year, branch_ids=branch_ids)
    members = dashboards.member_rows(branch_ids[0], year) if branch_ids else None
    return _xlsx_response(dashboard_xlsx(data, members=members), year)


def _xlsx_response(content, year):
    return HttpResponse(
        content,
        content_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="dashboard-{year}.xlsx"',
        },
    )
