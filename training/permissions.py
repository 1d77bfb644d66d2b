"""Who may open and run a lesson; built on the roles in members.permissions."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from members.permissions import roles_for
from training.models import Lesson, LessonHost


def lesson_queryset():
    return Lesson.objects.select_related(
        "organiser",
        "venue",
        "venue__owner",
        "lecturer_member",
        "lecturer_outside",
    )


def get_lesson_for_user(request, lesson_id: int, *, manage: bool = False) -> Lesson:
    """Return the lesson, or 404 when it is not meant for the user and 403 when they may not run it."""
    roles = roles_for(request.user)
    lesson = get_object_or_404(lesson_queryset(), pk=lesson_id)
    if not Lesson.objects.visible_to(roles).filter(pk=lesson.pk).exists():
        raise Http404
    if manage and not can_manage(roles, lesson):
        raise PermissionDenied
    return lesson


def can_manage(roles, lesson: Lesson) -> bool:
    """The organising branch's committee runs a lesson: edits it, takes attendance, closes it."""
    return lesson.organiser_id in roles.committee_branch_ids


def can_present(roles, lesson: Lesson) -> bool:
    """The organising committee or the lesson's own lecturer runs its live session."""
    return can_manage(roles, lesson) or (
        roles.member is not None
        and lesson.lecturer_member_id is not None
        and lesson.lecturer_member_id == roles.member.pk
    )


def get_lesson_to_present(request, lesson_id: int) -> Lesson:
    """Return a lesson whose live session the user runs; 404 when not meant for them, 403 otherwise."""
    lesson = get_lesson_for_user(request, lesson_id)
    if not can_present(roles_for(request.user), lesson):
        raise PermissionDenied
    return lesson


def get_invitation_for_user(request, lesson_id: int) -> LessonHost:
    """Return the invitation of one of the user's branches to a joint lesson, or 404."""
    roles = roles_for(request.user)
    host = (
        LessonHost.objects.select_related("lesson", "branch")
        .filter(lesson_id=lesson_id, is_organiser=False, branch_id__in=roles.committee_branch_ids)
        .first()
    )
    if host is None:
        raise Http404
    return host


def can_decide_leave(roles, lesson: Lesson, member) -> bool:
    """The member's own branch committee, or the organiser's, approves leave."""
    return member.branch_id in roles.committee_branch_ids or can_manage(roles, lesson)


def get_note_for_user(request, note_id: int, *, write: bool = False, review: bool = False):
    """Return a study note for its author, their branch committee or leadership; 404 for anyone else.

    Writing is for the author while the note is a draft or returned; review is
    for the committee of the author's branch.
    """
    from training.models import StudyNote

    roles = roles_for(request.user)
    note = get_object_or_404(
        StudyNote.objects.select_related("member", "member__branch", "assignment", "lesson", "resource"),
        pk=note_id,
    )
    is_author = roles.member is not None and roles.member.pk == note.member_id
    is_reviewer = note.member.branch_id in roles.committee_branch_ids
    if not (is_author or is_reviewer or roles.leads(note.member.branch_id)):
        raise Http404
    if write and not (is_author and note.is_editable):
        raise PermissionDenied
    if review and not is_reviewer:
        raise PermissionDenied
    return note


def can_review(roles, note) -> bool:
    return note.member.branch_id in roles.committee_branch_ids


def get_knowledge_quiz_for_user(request, quiz_id: int):
    """Return a knowledge quiz meant for the user's branch (or the bureau), or 404."""
    from training.selectors.quizzes import knowledge_quizzes_for

    return get_object_or_404(knowledge_quizzes_for(roles_for(request.user)), pk=quiz_id)
