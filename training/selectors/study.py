"""Read side of self-study: the shapes the notes, review, resource and assignment pages need."""

from django.db.models import Count, Q, QuerySet

from members.models import Member
from training.models import Assignment, AssignmentTarget, Lesson, StudyNote, StudyResource


def notes_of_member(member: Member, *, status: str = "") -> QuerySet[StudyNote]:
    notes = StudyNote.objects.filter(member=member).select_related("assignment", "lesson", "resource")
    if status:
        notes = notes.filter(status=status)
    return notes.order_by("-updated_at", "-pk")


def review_queue(roles) -> QuerySet[StudyNote]:
    """Return notes waiting for review from members of the user's committee branches, oldest first."""
    return (
        StudyNote.objects.filter(status=StudyNote.Status.SUBMITTED, member__branch_id__in=roles.committee_branch_ids)
        .select_related("member", "member__branch", "assignment", "lesson", "similar_to", "similar_to__member")
        .annotate(version_count=Count("versions"))
        .order_by("submitted_at", "pk")
    )


def resource_list(*, q: str = "", kind: str = "") -> QuerySet[StudyResource]:
    resources = StudyResource.objects.select_related("recommended_by").annotate(note_count=Count("study_notes"))
    if q:
        resources = resources.filter(
            Q(title__icontains=q)
            | Q(author__icontains=q)
            | Q(description__icontains=q)
            | Q(recommendation__icontains=q)
        )
    if kind:
        resources = resources.filter(kind=kind)
    return resources.order_by("-created_at", "-pk")


def assignments_of_member(member: Member) -> QuerySet[AssignmentTarget]:
    """Return the member's assignments, open ones first, soonest due first."""
    return (
        AssignmentTarget.objects.filter(member=member)
        .select_related("assignment", "assignment__resource", "assignment__lesson")
        .order_by("-status", "assignment__due_on", "pk")
    )


def assignments_managed(roles) -> QuerySet[Assignment]:
    """Return the assignments the user's branches (or, for leadership, anyone) made, with progress counts."""
    assignments = Assignment.objects.all()
    if not roles.is_top_level:
        assignments = assignments.filter(branch_id__in=roles.scope_ids)
    return (
        assignments.select_related("branch", "resource", "lesson")
        .annotate(
            target_count=Count("targets", distinct=True),
            done_count=Count("targets", filter=Q(targets__status="done"), distinct=True),
        )
        .order_by("-due_on", "-pk")
    )


def assignment_targets(assignment: Assignment) -> list[AssignmentTarget]:
    return list(
        assignment.targets.select_related("member", "member__branch").order_by(
            "status", "member__branch__sort_order", "member__name_pinyin"
        )
    )


def lessons_for_notes(member: Member) -> QuerySet[Lesson]:
    """Lessons a member may write about: those of their audience that were held or published."""
    return Lesson.objects.for_member(member).exclude(status="cancelled").order_by("-start")


def open_assignments_for(member: Member) -> QuerySet[Assignment]:
    return Assignment.objects.filter(targets__member=member).order_by("due_on")
