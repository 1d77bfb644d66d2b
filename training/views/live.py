"""The live session of a lesson: control and presenter views for the organiser, the phone view for members.

Phones poll two small fragments (the current question, the question wall)
every 2 s with the version they show; an unchanged version answers 204 from
one cache read, and htmx swaps nothing.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.models import Member
from members.permissions import own_member, roles_for
from training.forms.live import LiveItemForm, PassMarkForm, WallQuestionForm
from training.forms.quizzes import BankPickForm
from training.models import LiveItem, Question
from training.pdf import live_summary_pdf
from training.permissions import can_present, get_lesson_for_user, get_lesson_to_present
from training.selectors import live as selectors
from training.selectors.quizzes import bank_questions_for
from training.services import live as services
from training.services.question_bank import live_items_from_bank

SESSION_KEY = "live_lessons"
MEMBER_KEY = "live_member"
ITEM_ACTIONS = {
    "open": services.live_item_open,
    "close": services.live_item_close,
    "reveal": services.live_item_reveal,
}


def _remember(request, lesson_id: int) -> None:
    member = roles_for(request.user).member
    if member is not None and request.session.get(MEMBER_KEY) != member.pk:
        request.session[MEMBER_KEY] = member.pk
    seen = request.session.get(SESSION_KEY, [])
    if lesson_id not in seen:
        request.session[SESSION_KEY] = [*seen[-9:], lesson_id]


def _may_poll(request, lesson_id: int) -> None:
    """The phone page checked the lesson once; later polls only look in the session."""
    if lesson_id not in request.session.get(SESSION_KEY, []):
        get_lesson_for_user(request, lesson_id)
        _remember(request, lesson_id)


def _unchanged(request, lesson_id: int, area: str) -> tuple[bool, int]:
    version = selectors.live_version(lesson_id, area)
    return request.GET.get("v") == str(version), version


def _back_to_control(lesson_id: int):
    return redirect("training:live_control", lesson_id=lesson_id)


# --- organiser -------------------------------------------------------------


def live_control(request, lesson_id):
    lesson = get_lesson_to_present(request, lesson_id)
    context = {
        "lesson": lesson,
        "results": [selectors.item_result(item) for item in selectors.live_items(lesson)],
        "present": selectors.present_count(lesson),
        "form": LiveItemForm(),
        "pass_mark_form": PassMarkForm(initial={"make_up_pass_mark": selectors.lesson_live_summary(lesson).pass_mark}),
        "wall": selectors.wall_questions(lesson, include_hidden=True),
        "bank_form": BankPickForm(questions=bank_questions_for(roles_for(request.user))),
    }
    return render(request, "training/live_control.html", context)


@require_POST
def live_bank_add(request, lesson_id):
    lesson = get_lesson_to_present(request, lesson_id)
    form = BankPickForm(request.POST, questions=bank_questions_for(roles_for(request.user)))
    if form.is_valid():
        items = live_items_from_bank(lesson=lesson, questions=form.cleaned_data["questions"], actor=request.user)
        messages.success(request, _("%(count)d questions were added from the bank.") % {"count": len(items)})
    else:
        messages.error(request, _("Choose questions from the bank."))
    return _back_to_control(lesson.pk)


@require_POST
def live_item_add(request, lesson_id):
    lesson = get_lesson_to_present(request, lesson_id)
    form = LiveItemForm(request.POST)
    if form.is_valid():
        try:
            services.live_item_create(lesson=lesson, actor=request.user, **form.cleaned_item())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The question was added."))
    else:
        messages.error(request, _("Please correct the question."))
    return _back_to_control(lesson.pk)


@require_POST
def live_item_action(request, item_id, action):
    item = get_object_or_404(LiveItem, pk=item_id)
    get_lesson_to_present(request, item.lesson_id)
    if action not in ITEM_ACTIONS:
        raise Http404
    try:
        ITEM_ACTIONS[action](item=item, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204)
    return _back_to_control(item.lesson_id)


@require_POST
def wall_moderate_view(request, question_id, action):
    question = get_object_or_404(Question, pk=question_id)
    get_lesson_to_present(request, question.lesson_id)
    try:
        services.wall_question_moderate(question=question, action=action, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back_to_control(question.lesson_id)


@require_POST
def live_pass_mark_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id, manage=True)
    form = PassMarkForm(request.POST)
    if form.is_valid():
        services.live_pass_mark_set(lesson=lesson, pass_mark=form.cleaned_data["make_up_pass_mark"], actor=request.user)
        messages.success(request, _("The pass mark was saved."))
    else:
        messages.error(request, _("Give a pass mark between 1 and 100."))
    return _back_to_control(lesson.pk)


def live_presenter(request, lesson_id):
    lesson = get_lesson_to_present(request, lesson_id)
    return render(request, "training/live_presenter.html", {"lesson": lesson})


def live_presenter_state(request, lesson_id):
    lesson = get_lesson_to_present(request, lesson_id)
    item = selectors.current_item(lesson.pk)
    context = {
        "lesson": lesson,
        "item": item,
        "result": selectors.item_result(item) if item else None,
        "present": selectors.present_count(lesson),
        "wall": selectors.wall_questions(lesson, limit=5),
    }
    return render(request, "training/_live_presenter_state.html", context)


def live_summary_pdf_view(request, lesson_id):
    lesson = get_lesson_to_present(request, lesson_id)
    return HttpResponse(
        live_summary_pdf(lesson),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="live-{lesson.pk}.pdf"'},
    )


# --- member's phone --------------------------------------------------------


def live_phone(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id)
    _remember(request, lesson.pk)
    roles = roles_for(request.user)
    context = {"lesson": lesson, "presenter": can_present(roles, lesson)}
    context.update(_items_context(lesson.pk, roles.member))
    context.update(_wall_context(lesson, roles.member))
    return render(request, "training/live_phone.html", context)


def _items_context(lesson_id: int, member) -> dict:
    state = selectors.member_item_state(lesson_id, member) if member else selectors.MemberItemState(item=None)
    return {
        "lesson_id": lesson_id,
        "state": state,
        "member": member,
        "checked_in": bool(member) and services.is_checked_in(lesson_id, member),
        "items_version": selectors.live_version(lesson_id, "items"),
    }


def _wall_context(lesson, member) -> dict:
    return {
        "lesson_id": lesson.pk,
        "member": member,
        "wall": selectors.wall_questions(lesson),
        "voted": selectors.voted_question_ids(lesson, member) if member else set(),
        "wall_form": WallQuestionForm(),
        "wall_version": selectors.live_version(lesson.pk, "wall"),
    }


def live_phone_items(request, lesson_id):
    _may_poll(request, lesson_id)
    unchanged, _version = _unchanged(request, lesson_id, "items")
    if unchanged:
        return HttpResponse(status=204)
    return render(request, "training/_live_phone_items.html", _items_context(lesson_id, roles_for(request.user).member))


def live_phone_wall(request, lesson_id):
    _may_poll(request, lesson_id)
    unchanged, _version = _unchanged(request, lesson_id, "wall")
    if unchanged:
        return HttpResponse(status=204)
    lesson = get_lesson_for_user(request, lesson_id)
    return render(request, "training/_live_phone_wall.html", _wall_context(lesson, roles_for(request.user).member))


def _session_member(request) -> Member:
    """The member answering, remembered by the phone page; only the id is needed to answer."""
    member_id = request.session.get(MEMBER_KEY)
    if member_id is None:
        member = own_member(request)
        request.session[MEMBER_KEY] = member.pk
        return member
    return Member(pk=member_id)


@require_POST
def live_answer_view(request, item_id):
    item = get_object_or_404(LiveItem, pk=item_id)
    _may_poll(request, item.lesson_id)
    member = _session_member(request)
    error = ""
    try:
        services.live_answer_submit(item=item, member=member, choices=request.POST.getlist("choice"))
    except services.AnswerRefused as exc:
        error = str(exc)
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("training:live_phone", lesson_id=item.lesson_id)
    if error:
        context = {**_items_context(item.lesson_id, member), "error": error}
    else:
        # Accepted: the phone shows its answer without reading it back (the
        # answers of a whole room arrive within seconds).
        state = selectors.MemberItemState(item=item, answered=True, choices=request.POST.getlist("choice"))
        context = {
            "lesson_id": item.lesson_id,
            "state": state,
            "member": member,
            "checked_in": True,
            "items_version": selectors.live_version(item.lesson_id, "items"),
        }
    return render(request, "training/_live_phone_items.html", context)


@require_POST
def wall_post_view(request, lesson_id):
    lesson = get_lesson_for_user(request, lesson_id)
    member = own_member(request)
    form = WallQuestionForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.wall_question_post(
                lesson=lesson, member=member, text=form.cleaned_data["text"], anonymous=form.cleaned_data["anonymous"]
            )
        except services.AnswerRefused as exc:
            error = str(exc)
    else:
        error = _("Please write your question.")
    return _wall_reply(request, lesson, member, error)


@require_POST
def wall_upvote_view(request, question_id):
    question = get_object_or_404(Question, pk=question_id, on_wall=True)
    lesson = get_lesson_for_user(request, question.lesson_id)
    member = own_member(request)
    error = ""
    try:
        services.wall_question_upvote(question=question, member=member)
    except services.AnswerRefused as exc:
        error = str(exc)
    return _wall_reply(request, lesson, member, error)


def _wall_reply(request, lesson, member, error: str):
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect(reverse("training:live_phone", kwargs={"lesson_id": lesson.pk}) + "#wall")
    context = {**_wall_context(lesson, member), "error": error}
    return render(request, "training/_live_phone_wall.html", context)
