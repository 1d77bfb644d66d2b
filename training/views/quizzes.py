"""The question bank (import, export), knowledge quizzes with their rankings, and the make-up quiz."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.uploads import PendingUpload
from members.permissions import manager_required, roles_for
from training.forms.quizzes import (
    BankUploadForm,
    KnowledgeQuizForm,
    answers_from_post,
    owner_branch,
)
from training.models import LiveItem, QuizResult
from training.permissions import get_knowledge_quiz_for_user, get_lesson_for_user
from training.selectors import quizzes as selectors
from training.services import question_bank
from training.services.quizzes import (
    is_open_to,
    knowledge_quiz_create,
    knowledge_quiz_submit,
    make_up_pass_mark,
    make_up_quiz_submit,
    make_up_target,
)

UPLOAD_SESSION_KEY = "question_bank_upload"
PER_PAGE = 50


def _pending(request) -> PendingUpload:
    return PendingUpload(request, key=UPLOAD_SESSION_KEY, folder="question-bank-uploads")


@manager_required
def bank_list(request):
    roles = roles_for(request.user)
    page = Paginator(selectors.bank_questions_for(roles), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "training/bank_list.html", {"page": page})


@manager_required
def bank_export(request):
    data = question_bank.question_bank_xlsx(selectors.bank_questions_for(roles_for(request.user)))
    return HttpResponse(
        data,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="question-bank.xlsx"'},
    )


@manager_required
def bank_import(request):
    roles = roles_for(request.user)
    form = BankUploadForm(request.POST or None, request.FILES or None, roles=roles)
    if request.method == "POST":
        _pending(request).discard()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        branch = owner_branch(form.cleaned_data["owner"])
        check = question_bank.question_bank_check(upload, branch=branch)
        if check.is_valid:
            _pending(request).keep(upload, owner=form.cleaned_data["owner"])
        context = {"form": BankUploadForm(roles=roles), "check": check}
        return render(request, "training/bank_preview.html", context, status=200 if check.is_valid else 400)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/bank_import.html", {"form": form}, status=status)


@require_POST
@manager_required
def bank_import_confirm(request):
    roles = roles_for(request.user)
    path, pending = _pending(request).get()
    if path is None:
        _pending(request).discard()
        messages.error(request, _("The uploaded file has expired. Please upload it again."))
        return redirect("quizzes:bank_import")
    if pending["owner"] not in dict(BankUploadForm(roles=roles).fields["owner"].choices):
        raise PermissionDenied
    try:
        with path.open("rb") as handle:
            count = question_bank.question_bank_import(
                handle, branch=owner_branch(pending["owner"]), actor=request.user
            )
    except question_bank.BankImportInvalid as exc:
        context = {"form": BankUploadForm(roles=roles), "check": exc.check}
        return render(request, "training/bank_preview.html", context, status=400)
    finally:
        _pending(request).discard()
    messages.success(request, _("%(count)d questions were added to the question bank.") % {"count": count})
    return redirect("quizzes:bank_list")


# --- knowledge quizzes ------------------------------------------------------


def knowledge_list(request):
    roles = roles_for(request.user)
    quizzes = selectors.knowledge_quizzes_for(roles)
    return render(
        request,
        "training/knowledge_list.html",
        {"quizzes": quizzes, "now": timezone.now(), "can_create": roles.manages_members},
    )


@manager_required
def knowledge_create(request):
    roles = roles_for(request.user)
    form = KnowledgeQuizForm(request.POST or None, roles=roles, questions=selectors.bank_questions_for(roles))
    if request.method == "POST" and form.is_valid():
        try:
            quiz = knowledge_quiz_create(
                branch=owner_branch(form.cleaned_data["owner"]),
                title=form.cleaned_data["title"],
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
                questions=form.cleaned_data["questions"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The knowledge quiz was opened."))
            return redirect("quizzes:knowledge_detail", quiz_id=quiz.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/knowledge_form.html", {"form": form}, status=status)


def knowledge_detail(request, quiz_id):
    quiz = get_knowledge_quiz_for_user(request, quiz_id)
    member = roles_for(request.user).member
    questions = list(quiz.questions.all())
    if request.method == "POST":
        if member is None:
            raise PermissionDenied
        try:
            knowledge_quiz_submit(quiz=quiz, member=member, answers=answers_from_post(request.POST, questions))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your answers were marked."))
        return redirect("quizzes:knowledge_detail", quiz_id=quiz.pk)
    now = timezone.now()
    mine = quiz.attempts.filter(member=member).first() if member else None
    context = {
        "quiz": quiz,
        "questions": questions,
        "mine": mine,
        "may_take": member is not None
        and mine is None
        and quiz.opens_at <= now <= quiz.closes_at
        and is_open_to(quiz, member),
        "people": selectors.person_ranking(quiz),
        "branches": selectors.branch_ranking(quiz),
    }
    return render(request, "training/knowledge_detail.html", context)


# --- make-up by quiz --------------------------------------------------------


def make_up_quiz(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id)
    member = roles_for(request.user).member
    if member is None:
        raise PermissionDenied
    pass_mark = make_up_pass_mark(lesson)
    if pass_mark is None:
        raise Http404
    questions = list(LiveItem.objects.filter(lesson=lesson, kind=LiveItem.Kind.QUIZ))
    if request.method == "POST":
        try:
            result = make_up_quiz_submit(
                lesson=lesson, member=member, answers=answers_from_post(request.POST, questions)
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if result.passed:
                messages.success(
                    request, _("Passed with %(score)d: your make-up study is done.") % {"score": result.score}
                )
            else:
                messages.warning(
                    request,
                    _("%(score)d is below the pass mark of %(mark)d. Read the materials and try again.")
                    % {"score": result.score, "mark": pass_mark},
                )
        return redirect("quizzes:make_up_quiz", lesson_id=lesson.pk)
    context = {
        "lesson": lesson,
        "questions": questions,
        "pass_mark": pass_mark,
        "target": make_up_target(lesson, member),
        "result": QuizResult.objects.filter(lesson=lesson, member=member, source=QuizResult.Source.MAKE_UP).first(),
        "materials": list(lesson.materials.all()),
    }
    return render(request, "training/make_up_quiz.html", context)
