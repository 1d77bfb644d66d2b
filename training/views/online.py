from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.uploads import PendingUpload
from members.permissions import manager_required
from training.forms.online import OnlineHoursUploadForm, OnlineRecordFilterForm
from training.services.online import (
    OnlineImportInvalid,
    online_hours_check,
    online_hours_import,
    online_record_list_for_user,
    online_record_years_for_user,
)

UPLOAD_SESSION_KEY = "online_hours_upload"
RECORDS_PER_PAGE = 50


def _pending(request) -> PendingUpload:
    return PendingUpload(request, key=UPLOAD_SESSION_KEY, folder="online-hours-uploads")


def _render_preview(request, form, check, *, status):
    context = {"form": form, "check": check, "counts": check.counts()}
    return render(request, "training/online_preview.html", context, status=status)


@manager_required
def hours_import(request):
    """Upload a platform export and preview it; nothing is saved until the preview is confirmed."""
    form = OnlineHoursUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _pending(request).discard()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        check = online_hours_check(upload, filename=upload.name, actor=request.user)
        if check.is_valid and check.counts()["new"]:
            _pending(request).keep(upload)
        return _render_preview(request, OnlineHoursUploadForm(), check, status=200 if check.is_valid else 400)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/online_import.html", {"form": form}, status=status)


@require_POST
@manager_required
def hours_import_confirm(request):
    path, pending = _pending(request).get()
    if path is None:
        _pending(request).discard()
        messages.error(request, _("The uploaded file has expired. Please upload it again."))
        return redirect("online:hours_import")
    try:
        with path.open("rb") as handle:
            counts = online_hours_import(handle, filename=pending["filename"], actor=request.user)
    except OnlineImportInvalid as exc:
        # Something changed since the preview (a member transferred, another
        # import): show the problems again rather than write half a file.
        return _render_preview(request, OnlineHoursUploadForm(), exc.check, status=400)
    finally:
        _pending(request).discard()
    messages.success(
        request,
        _("Online study hours imported: %(new)d new rows, %(existing)d already imported.") % counts,
    )
    return redirect("online:record_list")


@manager_required
def record_list(request):
    form = OnlineRecordFilterForm(request.GET or None, years=online_record_years_for_user(request.user))
    year = form.cleaned_data["year"] if form.is_valid() else None
    records = online_record_list_for_user(request.user, year=year)
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "training/online_records.html", {"form": form, "page": page, "year": year})
