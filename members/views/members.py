from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.uploads import PendingUpload
from members.forms.members import MemberFilterForm, MemberForm, MemberTransferForm, RosterUploadForm
from members.permissions import get_member_for_user, managed_branches, manager_required, roles_for
from members.selectors.members import member_detail, member_list_for_user
from members.services.members import member_transfer, member_update
from members.services.roster import RosterInvalid, roster_check, roster_export, roster_import, roster_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_SESSION_KEY = "roster_upload"


def _filtered_members(request):
    form = MemberFilterForm(request.GET or None, branches=managed_branches(request.user).branches_only())
    filters = form.cleaned_data if form.is_valid() else {}
    if "branch" in form.errors:
        # A branch the user may not manage (or none at all): never fall back to their own silently.
        raise Http404
    members = member_list_for_user(
        request.user,
        q=filters.get("q", ""),
        branch=filters.get("branch"),
        status=filters.get("status", ""),
    )
    return form, members


@manager_required
def member_list(request):
    form, members = _filtered_members(request)
    page = Paginator(members, 25).get_page(request.GET.get("page"))
    # The filter's choices are the user's branches: their labels tell apart two of the same name, for free.
    _choices, labels = form.fields["branch"].choice_labels()
    page.object_list = list(page.object_list)
    for member in page.object_list:
        member.branch_label = labels.get(member.branch_id, member.branch.name)
    return render(request, "members/member_list.html", {"form": form, "page": page})


def member_detail_view(request, member_id):
    member = get_member_for_user(request, member_id)
    roles = roles_for(request.user)
    context = {
        "member": member_detail(member),
        "can_edit": (role := roles.role_in(member.branch_id)) is not None and role.can_write,
    }
    return render(request, "members/member_detail.html", context)


def member_edit(request, member_id):
    member = get_member_for_user(request, member_id, write=True)
    form = MemberForm(request.POST or None, instance=member, viewer=request.user, where=request.path)
    if request.method == "POST" and form.is_valid():
        member_update(member=member, data=form.cleaned_data, actor=request.user)
        messages.success(request, _("The member's record was saved."))
        return redirect(member)
    status = 400 if request.method == "POST" else 200
    return render(request, "members/member_form.html", {"form": form, "member": member}, status=status)


def member_transfer_view(request, member_id):
    member = get_member_for_user(request, member_id, write=True)
    form = MemberTransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member_transfer(
            member=member,
            to_branch=form.cleaned_data["to_branch"],
            on=form.cleaned_data["on"],
            actor=request.user,
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("The member was transferred."))
        return redirect(member)
    status = 400 if request.method == "POST" else 200
    return render(request, "members/member_transfer.html", {"form": form, "member": member}, status=status)


@manager_required
def member_export(request):
    _form, members = _filtered_members(request)
    content = roster_export(members, viewer=request.user, where=request.path)
    filename = f"roster-{timezone.localdate():%Y%m%d}.xlsx"
    return HttpResponse(
        content, content_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@manager_required
def roster_template_view(request):
    return HttpResponse(
        roster_template(),
        content_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )


def _pending(request) -> PendingUpload:
    return PendingUpload(request, key=ROSTER_SESSION_KEY, folder="roster-uploads")


@manager_required
def roster_import_view(request):
    """Upload a roster and preview it; nothing is saved until the preview is confirmed."""
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _pending(request).discard()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        check = roster_check(upload, actor=request.user, name=upload.name)
        if check.is_valid:
            _pending(request).keep(upload)
        context = {"form": form, "check": check, "counts": check.counts()}
        return render(request, "members/roster_preview.html", context, status=200 if check.is_valid else 400)
    status = 400 if request.method == "POST" else 200
    return render(request, "members/roster_import.html", {"form": form}, status=status)


@require_POST
@manager_required
def roster_import_confirm(request):
    path, details = _pending(request).get()
    if path is None:
        messages.error(request, _("The uploaded file has expired. Please upload it again."))
        return redirect("members:roster_import")
    try:
        with path.open("rb") as handle:
            counts = roster_import(handle, actor=request.user, name=details.get("filename", ""))
    except RosterInvalid as exc:
        # Something changed since the preview (another import, a new branch):
        # show the problems again rather than writing half a file.
        context = {"form": RosterUploadForm(), "check": exc.check, "counts": exc.check.counts()}
        return render(request, "members/roster_preview.html", context, status=400)
    finally:
        _pending(request).discard()
    messages.success(
        request,
        _("Roster imported: %(create)d new, %(update)d updated, %(transfer)d transferred, %(unchanged)d unchanged.")
        % counts,
    )
    return redirect("members:member_list")
