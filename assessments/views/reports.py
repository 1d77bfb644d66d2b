from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.exports.reports import report_context
from assessments.forms.reports import ReportForm
from assessments.models import CheckupReport
from assessments.selectors.reports import FINISHED, period_label, previous_month, reports_for_user
from assessments.selectors.supervision import local_today
from assessments.services.reports import file_stem, report_request, report_retry
from branches.forms.fields import distinct_labels
from members.permissions import PLAIN_MEMBER, leadership_required, report_requester_required, roles_for

REPORTS_PER_PAGE = 30
# htmx stops polling when a poll answers 286.
STOP_POLLING = 286


def _get_report_for_user(request, report_id: int) -> CheckupReport:
    # Leadership reads every report; a branch committee reads its branches'
    # reports. Another branch's report is not revealed (404); a plain member
    # of the branch is refused (403), and so is anyone without a committee
    # post asking for a bureau report.
    roles = roles_for(request.user)
    report = get_object_or_404(CheckupReport.objects.select_related("branch", "requested_by"), pk=report_id)
    if roles.is_top_level:
        return report
    if report.branch_id is None:
        raise Http404 if roles.manages_members else PermissionDenied
    role = roles.role_in(report.branch_id)
    if role is None:
        raise Http404
    if role.kind == PLAIN_MEMBER.kind:
        raise PermissionDenied
    return report


def _status_context(request, report: CheckupReport) -> dict:
    context = {
        "report": report,
        "label": period_label(report.period, report.period_start),
        "can_see_error": roles_for(request.user).is_leadership,
        "can_retry": roles_for(request.user).is_leadership,
    }
    if report.status == CheckupReport.Status.DONE and report.figures:
        context.update(report_context(report.figures))
    return context


def report_list(request):
    roles = roles_for(request.user)
    reports = reports_for_user(roles)
    if reports is None:
        raise PermissionDenied
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    # Two organisations of the same name on the page show their full paths (one query, only then).
    scopes = distinct_labels({report.branch for report in page if report.branch_id})
    rows = [(report, period_label(report.period, report.period_start), scopes.get(report.branch_id)) for report in page]
    return render(
        request,
        "assessments/report_list.html",
        {"page": page, "rows": rows, "can_create": roles.requests_reports},
    )


def _report_scope(request) -> dict:
    roles = roles_for(request.user)
    return {"branches": roles.scope_ids, "whole_bureau": roles.is_top_level}


@report_requester_required
def report_new(request):
    if request.method == "POST":
        form = ReportForm(request.POST, **_report_scope(request))
        if form.is_valid():
            try:
                report = report_request(
                    period=form.cleaned_data["period"],
                    start=form.cleaned_data["month"],
                    branch=form.cleaned_data["branch"],
                    actor=request.user,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error("month" if field == "start" else field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(request, _("The report is being compiled."))
                return redirect(report)
        return render(request, "assessments/report_form.html", {"form": form}, status=400)
    start, _end = previous_month(local_today())
    form = ReportForm(initial={"period": CheckupReport.Period.MONTH, "month": start}, **_report_scope(request))
    return render(request, "assessments/report_form.html", {"form": form})


def report_detail(request, report_id):
    report = _get_report_for_user(request, report_id)
    return render(request, "assessments/report_detail.html", _status_context(request, report))


@require_POST
@leadership_required
def report_retry_view(request, report_id):
    report = _get_report_for_user(request, report_id)
    if report_retry(report=report, actor=request.user):
        messages.success(request, _("The report is being compiled again."))
    return redirect(report)


def report_status(request, report_id):
    report = _get_report_for_user(request, report_id)
    status = STOP_POLLING if report.status in FINISHED else 200
    return render(request, "assessments/_report_status.html", _status_context(request, report), status=status)


def _download(request, report_id, field: str, extension: str):
    report = _get_report_for_user(request, report_id)
    file = getattr(report, field)
    if report.status != CheckupReport.Status.DONE or not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=f"{file_stem(report)}.{extension}")


def report_pdf(request, report_id):
    return _download(request, report_id, "pdf", "pdf")


def report_xlsx(request, report_id):
    return _download(request, report_id, "xlsx", "xlsx")
