import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches.models import Branch
from members.models import Member
from members.permissions import own_member, roles_for
from training.forms.lessons import (
    ATTENDANCE_CHOICES,
    AnswerForm,
    FeedbackForm,
    InvitationResponseForm,
    LeaveRequestForm,
    LessonForm,
    MaterialForm,
    QuestionForm,
)
from training.models import Attendance, LeaveRequest, Lesson, LessonMaterial, Question
from training.pdf import sign_in_sheet_pdf
from training.permissions import (
    can_decide_leave,
    can_manage,
    can_present,
    get_invitation_for_user,
    get_lesson_for_user,
)
from training.selectors import lessons as selectors
from training.selectors.live import lesson_live_summary
from training.services.lessons import (
    CheckInRefused,
    attendance_check_in,
    attendance_mark,
    checkin_token,
    checkin_verify,
    feedback_submit,
    invitation_respond,
    leave_request_create,
    leave_request_decide,
    lesson_audience,
    lesson_cancel,
    lesson_close,
    lesson_close_preview,
    lesson_hard_conflicts,
    lesson_publish,
    lesson_save,
    material_add,
    outside_lecturer_get_or_create,
    question_answer,
    question_ask,
)
from training.services.quizzes import make_up_pass_mark, make_up_target

PENDING_CHECKIN = "pending_checkin"
PENDING_CHECKIN_MAX_AGE = 5 * 60


def _committee_branches(request):
    roles = roles_for(request.user)
    if not roles.committee_branch_ids:
        raise PermissionDenied
    return Branch.objects.filter(pk__in=roles.committee_branch_ids).order_by("sort_order", "code")


def _add_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.error_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- lessons ---------------------------------------------------------------


def lesson_list(request):
    roles = roles_for(request.user)
    status = request.GET.get("status", "")
    if status not in Lesson.Status.values:
        status = ""
    lessons = selectors.lesson_list_for_user(roles, status=status)
    page = Paginator(lessons, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": Lesson.Status.choices,
        "invitations": list(selectors.pending_invitations_for(roles)) if roles.committee_branch_ids else [],
        "can_create": bool(roles.committee_branch_ids),
    }
    return render(request, "training/lesson_list.html", context)


def _lesson_form_view(request, lesson=None):
    organisers = _committee_branches(request)
    form = LessonForm(request.POST or None, instance=lesson, organiser_choices=organisers)
    warnings = None
    if request.method == "POST" and form.is_valid():
        draft = form.save(commit=False)
        co_host_ids = [b.pk for b in form.cleaned_data["co_hosts"]]
        if form.cleaned_data.get("new_lecturer_name"):
            draft.lecturer_outside = outside_lecturer_get_or_create(
                name=form.cleaned_data["new_lecturer_name"],
                organisation=form.cleaned_data["new_lecturer_organisation"],
                title=form.cleaned_data["new_lecturer_title"],
            )
        # A double-booked venue or lecturer is refused at once, before any warning asks to confirm.
        clashes = lesson_hard_conflicts(draft)
        if clashes:
            _add_errors(form, ValidationError(clashes, code="double_booked"))
            return render(request, "training/lesson_form.html", {"form": form, "lesson": lesson}, status=400)
        warnings = selectors.lesson_warnings(draft, co_host_ids=co_host_ids)
        if warnings and not form.cleaned_data.get("confirm_warnings"):
            data = request.POST.copy()
            data["confirm_warnings"] = "on"
            form = LessonForm(data, instance=lesson, organiser_choices=organisers)
            form.is_valid()
            return render(request, "training/lesson_form.html", {"form": form, "lesson": lesson, "warnings": warnings})
        try:
            saved = lesson_save(lesson=draft, co_host_ids=co_host_ids, actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.POST.get("action") == "publish":
                lesson_publish(lesson=saved, actor=request.user)
                messages.success(request, _("The lesson was saved and published."))
            else:
                messages.success(request, _("The lesson was saved."))
            return redirect(saved)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "lesson": lesson, "warnings": warnings}
    return render(request, "training/lesson_form.html", context, status=status)


def lesson_create(request):
    return _lesson_form_view(request)


def lesson_edit(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    if lesson.status in (Lesson.Status.HELD, Lesson.Status.CANCELLED):
        messages.error(request, _("A held or cancelled lesson can no longer be changed."))
        return redirect(lesson)
    return _lesson_form_view(request, lesson)


def lesson_detail(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id)
    roles = roles_for(request.user)
    member = roles.member
    my_row = Attendance.objects.filter(lesson=lesson, member=member).first() if member else None
    my_leave = LeaveRequest.objects.filter(lesson=lesson, member=member).first() if member else None
    hosts = selectors.lesson_hosts(lesson)
    invitation = next((h for h in hosts if not h.is_organiser and h.branch_id in roles.committee_branch_ids), None)
    context = {
        "lesson": lesson,
        "hosts": hosts,
        "manage": can_manage(roles, lesson),
        "my_row": my_row,
        "my_leave": my_leave,
        "invitation": invitation,
        "invitation_form": InvitationResponseForm(),
        "leave_form": LeaveRequestForm(),
        "feedback_form": FeedbackForm(),
        "question_form": QuestionForm(),
        "answer_form": AnswerForm(),
        "material_form": MaterialForm(),
        "materials": list(lesson.materials.all()),
        "feedback": selectors.feedback_summary(lesson),
        "comments": selectors.lesson_feedback(lesson) if can_manage(roles, lesson) else [],
        "questions": selectors.lesson_questions(lesson, include_hidden=can_manage(roles, lesson)),
        "now": timezone.now(),
        "present_live": can_present(roles, lesson),
        "live": lesson_live_summary(lesson, member=member),
        "make_up_quiz": bool(member) and make_up_pass_mark(lesson) is not None and make_up_target(lesson, member),
    }
    return render(request, "training/lesson_detail.html", context)


@require_POST
def lesson_publish_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    lesson_publish(lesson=lesson, actor=request.user)
    messages.success(request, _("The lesson was published."))
    return redirect(lesson)


@require_POST
def lesson_cancel_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    if request.POST.get("confirm") != "yes":
        # Cancelling cannot be undone: say first who will see it cancelled.
        context = {"lesson": lesson, "audience": lesson_audience(lesson).count()}
        return render(request, "training/lesson_cancel_confirm.html", context)
    try:
        lesson_cancel(lesson=lesson, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The lesson was cancelled."))
    return redirect(lesson)


@require_POST
def lesson_close_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    if request.POST.get("confirm") != "yes":
        # Closing cannot be undone: say first who will be marked absent and owe make-up study.
        context = {"lesson": lesson, "preview": lesson_close_preview(lesson)}
        return render(request, "training/lesson_close_confirm.html", context)
    try:
        result = lesson_close(lesson=lesson, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The lesson was closed: %(absent)d marked absent, %(make_up)d make-up tasks assigned.") % result
        )
    return redirect(lesson)


@require_POST
def invitation_respond_view(request, lesson_id):
    host = get_invitation_for_user(request, lesson_id)
    form = InvitationResponseForm(request.POST)
    if form.is_valid():
        try:
            invitation_respond(
                host=host, accept=form.cleaned_data["accept"], reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your answer was recorded."))
    else:
        messages.error(request, _("Choose whether to accept or decline."))
    return redirect("training:lesson_detail", lesson_id=lesson_id)


# --- attendance ------------------------------------------------------------


def attendance_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    errors = {}
    if request.method == "POST":
        marks = {}
        for key, status in request.POST.items():
            if key.startswith("status_") and key[7:].isdigit():
                member_id = int(key[7:])
                marks[member_id] = (status, request.POST.get(f"reason_{member_id}", ""))
        try:
            result = attendance_mark(lesson=lesson, marks=marks, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("training:attendance", lesson_id=lesson.pk)
        if not result.errors:
            messages.success(request, _("Attendance saved: %(count)d rows changed.") % {"count": result.changed})
            return redirect("training:attendance", lesson_id=lesson.pk)
        errors = result.errors
        messages.error(request, _("Nothing was saved; correct the rows marked below."))
    rows = selectors.attendance_rows(lesson)
    for row in rows:
        row.error = errors.get(row.member_id)
        if errors:  # show what was typed, not what is stored
            row.status = request.POST.get(f"status_{row.member_id}", row.status)
            row.reason = request.POST.get(f"reason_{row.member_id}", row.reason)
    context = {
        "lesson": lesson,
        "rows": rows,
        "summary": selectors.attendance_summary(lesson),
        "choices": ATTENDANCE_CHOICES,
        "leave_requests": selectors.leave_requests_for(lesson),
    }
    return render(request, "training/attendance.html", context, status=400 if errors else 200)


def projector_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    return render(request, "training/projector.html", {"lesson": lesson})


def projector_code(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    url = request.build_absolute_uri(
        reverse("training:check_in", kwargs={"lesson_id": lesson.pk, "token": checkin_token(lesson)})
    )
    svg = segno.make(url, error="m").svg_inline(scale=8, dark="#000", light="#fff", omitsize=True)
    return render(request, "training/_projector_code.html", {"lesson": lesson, "svg": svg, "url": url})


def projector_list(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    rows = selectors.attendance_rows(lesson)
    context = {
        "lesson": lesson,
        "checked_in": sorted((r for r in rows if r.checked_in_at), key=lambda r: r.checked_in_at, reverse=True),
        "waiting": [r for r in rows if not r.checked_in_at and r.status not in ("leave",)],
        "summary": selectors.attendance_summary(lesson),
    }
    return render(request, "training/_projector_list.html", context)


@login_not_required
def check_in_view(request, lesson_id, token):
    """Scanned from the projector: mark the member present, or ask them to log in first."""
    # A missing lesson and a wrong code get the same answer, without the
    # lesson's title: the URL must not tell anyone which lessons exist.
    lesson = Lesson.objects.filter(pk=lesson_id).first()
    try:
        checkin_verify(lesson or Lesson(pk=lesson_id), token)
        if lesson is None:
            raise CheckInRefused(_("This check-in code is not valid for this lesson."))
    except CheckInRefused as exc:
        return render(request, "training/check_in_result.html", {"error": str(exc)}, status=400)
    if not request.user.is_authenticated:
        # The code expires in seconds; remember the scan while the member logs in.
        request.session[PENDING_CHECKIN] = signing.dumps({"lesson": lesson.pk, "at": timezone.now().timestamp()})
        return redirect(f"{reverse('login')}?next={reverse('training:check_in_resume')}")
    return _check_in(request, lesson.pk, timezone.now())


def check_in_resume(request):
    pending = request.session.pop(PENDING_CHECKIN, None)
    if pending is None:
        raise Http404
    try:
        data = signing.loads(pending)
    except signing.BadSignature:
        raise Http404 from None
    now = timezone.now()
    if now.timestamp() - data["at"] > PENDING_CHECKIN_MAX_AGE:
        error = _("The scan is too old. Scan the code on the screen again.")
        return render(request, "training/check_in_result.html", {"error": error}, status=400)
    scanned_at = datetime.datetime.fromtimestamp(data["at"], tz=datetime.UTC)
    return _check_in(request, data["lesson"], scanned_at)


def _check_in(request, lesson_id, at):
    lesson = get_lesson_for_user(request, lesson_id)
    member = roles_for(request.user).member
    if member is None:
        raise Http404
    try:
        row = attendance_check_in(lesson=lesson, member=member, now=at)
    except CheckInRefused as exc:
        return render(request, "training/check_in_result.html", {"error": str(exc), "lesson": lesson}, status=400)
    return render(request, "training/check_in_result.html", {"row": row, "lesson": lesson})


# --- leave -----------------------------------------------------------------


@require_POST
def leave_request_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id)
    member = roles_for(request.user).member
    if member is None or not Attendance.objects.filter(lesson=lesson, member=member).exists():
        raise PermissionDenied
    form = LeaveRequestForm(request.POST)
    if form.is_valid():
        try:
            leave_request_create(lesson=lesson, member=member, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your leave request was sent to your branch secretary."))
    else:
        messages.error(request, _("Please give a reason."))
    return redirect(lesson)


@require_POST
def leave_decide_view(request, leave_id):
    leave = get_object_or_404(LeaveRequest.objects.select_related("member", "lesson"), pk=leave_id)
    lesson = get_lesson_for_user(request, leave.lesson_id)
    if not can_decide_leave(roles_for(request.user), lesson, leave.member):
        raise PermissionDenied
    leave_request_decide(leave=leave, approve=request.POST.get("approve") == "1", actor=request.user)
    messages.success(request, _("The leave request was decided."))
    return redirect(request.POST.get("next") or lesson.get_absolute_url())


# --- feedback, questions, materials ---------------------------------------


@require_POST
def feedback_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback_submit(
                lesson=lesson,
                member=own_member(request),
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                anonymous=form.cleaned_data["anonymous"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you for your rating."))
    else:
        messages.error(request, _("Choose a rating from 1 to 5 stars."))
    return redirect(lesson)


@require_POST
def question_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id)
    form = QuestionForm(request.POST)
    if form.is_valid():
        question_ask(
            lesson=lesson,
            member=own_member(request),
            text=form.cleaned_data["text"],
            anonymous=form.cleaned_data["anonymous"],
        )
        messages.success(request, _("Your question was sent to the organiser."))
    else:
        messages.error(request, _("Please write your question."))
    return redirect(lesson)


@require_POST
def answer_view(request, question_id):
    question = get_object_or_404(Question, pk=question_id)
    lesson = get_lesson_for_user(request, question.lesson_id, manage=True)
    form = AnswerForm(request.POST)
    if form.is_valid():
        question_answer(question=question, answer=form.cleaned_data["answer"], actor=request.user)
        messages.success(request, _("Your answer was published."))
    else:
        messages.error(request, _("Please write an answer."))
    return redirect(lesson)


@require_POST
def material_add_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            material_add(
                lesson=lesson,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                url=form.cleaned_data["url"],
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The material was added."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(lesson)


def material_download(request, material_id):
    material = get_object_or_404(LessonMaterial, pk=material_id)
    get_lesson_for_user(request, material.lesson_id)
    if not material.file:
        return redirect(material.url)
    return FileResponse(material.file.open("rb"), as_attachment=True, filename=material.file.name.rsplit("/", 1)[-1])


def sign_in_sheet(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    pdf = sign_in_sheet_pdf(lesson)
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="sign-in-{lesson.pk}.pdf"',
        },
    )


def lecturer_search(request):
    roles = roles_for(request.user)
    if not (roles.committee_branch_ids or roles.is_leadership):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    members = []
    if query:
        members = list(
            Member.objects.active()
            .search(query, include_expertise=True)
            .select_related("branch")
            .order_by("name_pinyin")[:20]
        )
    return render(request, "training/_lecturer_options.html", {"members": members, "query": query})
