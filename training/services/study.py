"""Write side of self-study: resources, assignments, study notes and their review."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from members.models import Member
from members.selectors.memberships import in_good_standing
from members.services.figures import mark_figures_stale
from training.models import (
    Assignment,
    AssignmentTarget,
    NoteFingerprint,
    StudyNote,
    StudyNoteVersion,
    StudyResource,
)
from training.rules import study_requirement_for
from training.similarity import CANDIDATE_SHARE, FLAG_AT, SKETCH_SIZE, similarity_percent, sketch

NOTE_FIELDS = ("kind", "title", "body", "study_date", "hours", "lesson", "assignment", "resource")


def _actor(user):
    return user if getattr(user, "is_authenticated", False) else None


# --- resources -------------------------------------------------------------


def resource_create(*, data: dict, actor) -> StudyResource:
    """Add a study resource (好书推介 and the like)."""
    resource = StudyResource(created_by=_actor(actor), **data)
    resource.full_clean()
    resource.save()
    audit_record(actor=actor, action="resource.created", target=resource)
    return resource


# --- assignments -----------------------------------------------------------


@transaction.atomic
def assignment_create(*, data: dict, branch, branch_ids, member_ids, actor) -> Assignment:
    """Assign self-study to every active member in good standing of *branch_ids* and to *member_ids*.

    The members are fixed when the assignment is made: someone joining the
    branch later is not suddenly overdue.
    """
    if not branch_ids and not member_ids:
        raise ValidationError(_("Choose at least one branch or member."), code="no_targets")
    assignment = Assignment(branch=branch, created_by=_actor(actor), **data)
    assignment.full_clean()
    assignment.save()
    targets = (
        Member.objects.active()
        .filter(in_good_standing())
        .filter(Q(branch_id__in=branch_ids) | Q(pk__in=member_ids))
        .values_list("pk", flat=True)
    )
    AssignmentTarget.objects.bulk_create(
        [AssignmentTarget(assignment=assignment, member_id=pk) for pk in targets], batch_size=500
    )
    mark_figures_stale(years=[assignment.due_on.year], members=list(targets))
    audit_record(
        actor=actor,
        action="assignment.created",
        target=assignment,
        payload={"branches": list(branch_ids), "members": list(member_ids)},
    )
    return assignment


# --- notes -----------------------------------------------------------------


def _check_assignment(member: Member, assignment: Assignment | None) -> None:
    if assignment is not None and not AssignmentTarget.objects.filter(assignment=assignment, member=member).exists():
        raise ValidationError({"assignment": _("This assignment is not yours.")}, code="not_assigned")


@transaction.atomic
def note_save(*, note: StudyNote | None, member: Member, data: dict, actor) -> StudyNote:
    """Create or update a note the member is still writing (a draft, or one returned for revision)."""
    if note is None:
        note = StudyNote(member=member)
    years = {note.study_date.year} if note.study_date else set()
    if note.pk and not note.is_editable:
        raise ValidationError(_("A note waiting for review or passed can no longer be changed."), code="locked")
    for name in NOTE_FIELDS:
        if name in data:
            setattr(note, name, data[name])
    _check_assignment(member, note.assignment)
    if note.study_date and note.study_date > timezone.localdate():
        raise ValidationError({"study_date": _("The study date cannot be in the future.")}, code="future_study_date")
    note.full_clean()
    note.save()
    mark_figures_stale(years=years | {note.study_date.year}, members=[member.pk])
    return note


@transaction.atomic
def note_save_and_submit(*, note: StudyNote | None, member: Member, data: dict, actor) -> StudyNote:
    """Save the member's note and send it for review in one go: if it cannot be submitted, nothing is saved."""
    saved = note_save(note=note, member=member, data=data, actor=actor)
    return note_submit(note=saved, actor=actor)


def _plain(hours: Decimal) -> str:
    """Write 8.0 as 8 and 2.5 as 2.5."""
    text = format(hours, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _check_hour_caps(note: StudyNote) -> None:
    requirement = study_requirement_for(note.study_date.year)
    if note.hours > requirement.note_max_hours:
        message = _("One note may claim at most %(max)s hours.") % {"max": _plain(requirement.note_max_hours)}
        raise ValidationError({"hours": ValidationError(message, code="note_cap")})
    claimed = StudyNote.objects.filter(member_id=note.member_id, study_date=note.study_date).exclude(
        pk=note.pk
    ).exclude(status=StudyNote.Status.DRAFT).aggregate(total=Sum("hours"))["total"] or Decimal("0")
    if claimed + note.hours > requirement.daily_max_hours:
        message = _(
            "At most %(max)s self-study hours may be claimed for one day; %(claimed)s are already claimed for %(date)s."
        ) % {"max": _plain(requirement.daily_max_hours), "claimed": _plain(claimed), "date": note.study_date}
        raise ValidationError({"hours": ValidationError(message, code="daily_cap")})


def _fingerprint(note: StudyNote) -> None:
    """Store the note's sketch and remember the most similar other note, if any."""
    values = sketch(note.body)
    NoteFingerprint.objects.filter(note=note).delete()
    NoteFingerprint.objects.bulk_create([NoteFingerprint(note=note, value=v) for v in values])
    note.similar_to, note.similarity = None, None
    if not values:
        return
    candidates = (
        NoteFingerprint.objects.filter(value__in=values)
        .exclude(note=note)
        .values("note")
        .annotate(shared=Count("pk"))
        .filter(shared__gte=max(1, int(min(len(values), SKETCH_SIZE) * CANDIDATE_SHARE)))
        .order_by("-shared")[:3]
    )
    best, best_score = None, 0
    for other in StudyNote.objects.filter(pk__in=[c["note"] for c in candidates]).only("pk", "body"):
        score = similarity_percent(note.body, other.body)
        if score > best_score:
            best, best_score = other, score
    if best is not None and best_score >= FLAG_AT:
        note.similar_to, note.similarity = best, best_score


@transaction.atomic
def note_submit(*, note: StudyNote, actor, now=None) -> StudyNote:
    """Send a note for review: check the hour caps, keep this version, look for copies."""
    note = StudyNote.objects.select_for_update().get(pk=note.pk)
    if not note.is_editable:
        raise ValidationError(_("This note has already been submitted."), code="already_submitted")
    note.full_clean()
    _check_hour_caps(note)
    now = now or timezone.now()
    number = note.versions.count() + 1
    StudyNoteVersion.objects.create(
        note=note,
        number=number,
        title=note.title,
        body=note.body,
        hours=note.hours,
        study_date=note.study_date,
        submitted_at=now,
    )
    _fingerprint(note)
    note.status = StudyNote.Status.SUBMITTED
    note.submitted_at = now
    note.save()
    mark_figures_stale(years=[note.study_date.year], members=[note.member_id])
    audit_record(
        actor=actor,
        action="note.submitted",
        target=note,
        payload={"version": number, "similar_to": note.similar_to_id, "similarity": note.similarity},
    )
    return note


def assignment_target_complete(*, assignment: Assignment, member_id: int, now) -> set[int]:
    """Mark a member's open target of *assignment* done; return the years whose figures it changes.

    The one way an assignment is completed, by a passed note or a passed
    make-up quiz: a make-up study done turns a leave into attendance at its
    lesson, in the lesson's year. The caller marks those years stale.
    """
    AssignmentTarget.objects.filter(
        assignment_id=assignment.pk, member_id=member_id, status=AssignmentTarget.Status.OPEN
    ).update(status=AssignmentTarget.Status.DONE, completed_at=now)
    years = {assignment.due_on.year, timezone.localtime(now).year}
    if assignment.lesson_id:
        years.add(timezone.localtime(assignment.lesson.start).year)
    return years


@transaction.atomic
def note_review(*, note: StudyNote, passed: bool, grade: str, comment: str, actor) -> StudyNote:
    """Pass a submitted note with a grade, or return it for revision with a comment.

    Passing a note on an assignment completes the member's assignment.
    """
    note = StudyNote.objects.select_for_update().get(pk=note.pk)
    if note.status != StudyNote.Status.SUBMITTED:
        raise ValidationError(_("Only a note waiting for review can be reviewed."), code="not_submitted")
    comment = comment.strip()
    if passed and grade not in StudyNote.Grade.values:
        raise ValidationError({"grade": _("Choose a grade.")}, code="grade_required")
    if not passed and not comment:
        raise ValidationError({"comment": _("Say what should be revised.")}, code="comment_required")
    now = timezone.now()
    note.status = StudyNote.Status.PASSED if passed else StudyNote.Status.RETURNED
    note.grade = grade if passed else ""
    note.review_comment = comment
    note.reviewed_by = _actor(actor)
    note.reviewed_at = now
    note.save()
    note.versions.filter(number=note.versions.count()).update(review_comment=comment)
    years = {note.study_date.year, timezone.localtime(now).year}
    if passed and note.assignment_id:
        years |= assignment_target_complete(assignment=note.assignment, member_id=note.member_id, now=now)
    mark_figures_stale(years=years, members=[note.member_id])
    audit_record(
        actor=actor,
        action="note.passed" if passed else "note.returned",
        target=note,
        payload={"grade": note.grade, "comment": comment},
    )
    return note


def default_study_date() -> datetime.date:
    return timezone.localdate()
