from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import Branch
from members.models import Member
from members.permissions import manager_required, own_member, roles_for
from training.forms.review import ReviewQueueFilter
from training.forms.study import AssignmentForm, NoteForm, ResourceForm, ReviewForm
from training.markdown import render_markdown
from training.models import Assignment, StudyNote, StudyResource
from training.permissions import can_review, get_note_for_user
from training.selectors import study as selectors
from training.services.study import (
    assignment_create,
    note_review,
    note_save,
    note_save_and_submit,
    note_submit,
    resource_create,
)


def _add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- notes -----------------------------------------------------------------


def note_list(request):
    member = own_member(request, hidden=True)
    status = request.GET.get("status", "")
    if status not in StudyNote.Status.values:
        status = ""
    page = Paginator(selectors.notes_of_member(member, status=status), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "training/note_list.html",
        {
            "page": page,
            "status": status,
            "statuses": StudyNote.Status.choices,
        },
    )


def _note_form_view(request, note=None):
    member = own_member(request, hidden=True)
    initial = {"study_date": timezone.localdate(), "hours": 1}
    for name in ("assignment", "lesson", "resource"):
        if request.GET.get(name, "").isdigit():
            initial[name] = int(request.GET[name])
    if request.GET.get("kind") in StudyNote.Kind.values:
        initial["kind"] = request.GET["kind"]
    form = NoteForm(request.POST or None, instance=note, member=member, initial=None if note else initial)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "submit":
                saved = note_save_and_submit(note=note, member=member, data=form.cleaned_data, actor=request.user)
                messages.success(request, _("Your note was submitted for review."))
            else:
                saved = note_save(note=note, member=member, data=form.cleaned_data, actor=request.user)
                messages.success(request, _("Your draft was saved."))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            # The detail page clears the copy the browser kept while typing.
            return redirect(f"{saved.get_absolute_url()}?saved=1")
    status = 400 if request.method == "POST" else 200
    return render(request, "training/note_form.html", {"form": form, "note": note}, status=status)


def note_create(request):
    return _note_form_view(request)


def note_edit(request, note_id):
    note = get_note_for_user(request, note_id, write=True)
    return _note_form_view(request, note)


def note_detail(request, note_id):
    note = get_note_for_user(request, note_id)
    roles = roles_for(request.user)
    reviewer = can_review(roles, note)
    similar = None
    leads = roles.leads(note.member.branch_id)
    if note.similar_to_id and (reviewer or leads):
        similar = StudyNote.objects.select_related("member", "member__branch").get(pk=note.similar_to_id)
        similar.visible = similar.member.branch_id in roles.committee_branch_ids or roles.leads(
            similar.member.branch_id
        )
    return render(
        request,
        "training/note_detail.html",
        {
            "note": note,
            "html": render_markdown(note.body),
            "is_author": roles.member is not None and roles.member.pk == note.member_id,
            "reviewer": reviewer,
            "versions": list(note.versions.all()) if (reviewer or leads) else [],
            "similar": similar,
            "review_form": ReviewForm(),
            "saved_keys": f"note-new note-{note.pk}" if request.GET.get("saved") else "",
        },
    )


@require_POST
def note_submit_view(request, note_id):
    note = get_note_for_user(request, note_id, write=True)
    try:
        note_submit(note=note, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("selfstudy:note_edit", note_id=note.pk)
    messages.success(request, _("Your note was submitted for review."))
    return redirect(note)


@require_POST
def note_review_view(request, note_id):
    note = get_note_for_user(request, note_id, review=True)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            note_review(
                note=note,
                passed=form.cleaned_data["decision"] == "pass",
                grade=form.cleaned_data["grade"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(note)
        messages.success(request, _("The review was recorded."))
        return redirect("selfstudy:review_queue")
    messages.error(request, _("Choose whether to pass the note or return it."))
    return redirect(note)


def review_queue(request):
    roles = roles_for(request.user)
    if not roles.committee_branch_ids:
        raise PermissionDenied
    branch_ids = roles.committee_branch_ids
    filters = ReviewQueueFilter(request.GET or None, selectors.review_queue(roles), branch_ids=branch_ids)
    if filters.is_bound and not filters.is_valid():
        # A stale link or an id from another branch: drop what does not fit
        # the reviewer's branches and say so, rather than show nothing.
        data = request.GET.copy()
        for name in filters.errors:
            data.pop(name, None)
        messages.warning(request, _("A filter did not match your branch's notes and was ignored."))
        filters = ReviewQueueFilter(data, selectors.review_queue(roles), branch_ids=branch_ids)
    page = Paginator(filters.qs, 20).get_page(request.GET.get("page"))
    return render(request, "training/review_queue.html", {"page": page, "filters": filters})


# --- resources -------------------------------------------------------------


def resource_list(request):
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if kind not in StudyResource.Kind.values:
        kind = ""
    page = Paginator(selectors.resource_list(q=q, kind=kind), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "training/resource_list.html",
        {
            "page": page,
            "q": q,
            "kind": kind,
            "kinds": StudyResource.Kind.choices,
        },
    )


def resource_detail(request, resource_id):
    resource = get_object_or_404(StudyResource.objects.select_related("recommended_by"), pk=resource_id)
    return render(request, "training/resource_detail.html", {"resource": resource})


def resource_create_view(request):
    roles = roles_for(request.user)
    if roles.member is None and not roles.is_leadership:
        raise PermissionDenied
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "recommended_by": roles.member}
        resource = resource_create(data=data, actor=request.user)
        messages.success(request, _("Thank you for the recommendation."))
        return redirect(resource)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/resource_form.html", {"form": form}, status=status)


# --- assignments -----------------------------------------------------------


def assignment_list(request):
    roles = roles_for(request.user)
    context = {
        "mine": list(selectors.assignments_of_member(roles.member)) if roles.member else [],
        "managed": list(selectors.assignments_managed(roles)[:50]) if roles.manages_members else [],
        "can_create": roles.manages_members,
        "today": timezone.localdate(),
    }
    return render(request, "training/assignment_list.html", context)


@manager_required
def assignment_create_view(request):
    roles = roles_for(request.user)
    if roles.is_top_level:
        branches = Branch.objects.branches_only().active()
        members = Member.objects.none()
    elif roles.is_leadership:
        branches = Branch.objects.branches_only().active().filter(pk__in=roles.scope_ids)
        members = Member.objects.none()
    else:
        branches = Branch.objects.filter(pk__in=roles.committee_branch_ids)
        members = Member.objects.active().filter(branch_id__in=roles.committee_branch_ids).select_related("branch")
    form = AssignmentForm(request.POST or None, branches=branches, members=members)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("title", "topic", "resource", "due_on", "min_hours")}
        own = None if roles.is_top_level else branches.first()
        try:
            assignment = assignment_create(
                data=data,
                branch=own,
                branch_ids=[b.pk for b in form.cleaned_data["branches"]],
                member_ids=[m.pk for m in form.cleaned_data["members"]],
                actor=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The assignment was sent."))
            return redirect(assignment)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/assignment_form.html", {"form": form}, status=status)


def assignment_detail(request, assignment_id):
    roles = roles_for(request.user)
    assignment = get_object_or_404(Assignment.objects.select_related("resource", "lesson", "branch"), pk=assignment_id)
    manages = (
        roles.is_top_level
        or assignment.branch_id in roles.committee_branch_ids
        or (assignment.branch_id is not None and roles.leads(assignment.branch_id))
    )
    mine = None
    if roles.member is not None:
        mine = assignment.targets.filter(member=roles.member).first()
    if not manages and mine is None:
        raise Http404
    return render(
        request,
        "training/assignment_detail.html",
        {
            "assignment": assignment,
            "mine": mine,
            "targets": selectors.assignment_targets(assignment) if manages else [],
            "my_notes": list(
                StudyNote.objects.filter(assignment=assignment, member=roles.member).order_by("-updated_at")
            )
            if roles.member
            else [],
            "today": timezone.localdate(),
        },
    )
