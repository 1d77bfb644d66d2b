"""Write side of training: lessons, joint-lesson invitations, attendance, leave, feedback."""

import datetime
import secrets
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Venue
from core.audit import audit_record
from core.background import enqueue_on_commit
from members.models import Member, Post
from members.selectors.memberships import bureau_members_on, members_of
from training.models import (
    Assignment,
    AssignmentTarget,
    Attendance,
    CalendarFeed,
    Feedback,
    LeaveRequest,
    Lesson,
    LessonHost,
    LessonMaterial,
    LiveItem,
    OutsideLecturer,
    Question,
)
from training.querysets import COMMITTEE_AUDIENCE_KINDS, GROUP_AUDIENCE_KINDS
from training.services.figures import mark_lesson_stale, mark_plan_items_stale
from training.services.topics import topic_requesters_notify

CHECKIN_STEP_SECONDS = 15
# A code shown on the projector is accepted for its own 15 s and the two
# before it: time to scan, not time to forward a photo and walk in.
CHECKIN_WINDOWS = 3
CHECKIN_OPENS_BEFORE = datetime.timedelta(minutes=30)
MAKE_UP_DAYS = 30
MATERIAL_MAX_BYTES = 20 * 1024 * 1024
MATERIAL_EXTENSIONS = frozenset(
    {".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx", ".txt", ".jpg", ".jpeg", ".png", ".mp3", ".mp4"}
)


class CheckInRefused(Exception):
    """A check-in the member cannot fix by retrying the same code."""


# --- lessons ---------------------------------------------------------------


def _fmt(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def lesson_hard_conflicts(lesson: Lesson) -> dict[str, str]:
    """Return field → message for a venue or lecturer already booked at an overlapping time."""
    others = Lesson.objects.live().overlapping(lesson.start, lesson.end).exclude(pk=lesson.pk)
    problems = {}
    checks = (
        ("venue", "venue_id", _("The venue is already booked for “%(title)s” (%(start)s–%(end)s).")),
        (
            "lecturer_member",
            "lecturer_member_id",
            _("The lecturer is already booked for “%(title)s” (%(start)s–%(end)s)."),
        ),
        (
            "lecturer_outside",
            "lecturer_outside_id",
            _("The lecturer is already booked for “%(title)s” (%(start)s–%(end)s)."),
        ),
    )
    for field_name, attribute, message in checks:
        value = getattr(lesson, attribute)
        if value is None:
            continue
        other = others.filter(**{attribute: value}).order_by("start").first()
        if other is not None:
            problems[field_name] = message % {"title": other.title, "start": _fmt(other.start), "end": _fmt(other.end)}
    return problems


def _lock_booked_resources(lesson: Lesson) -> None:
    # Two secretaries saving at the same moment: the second waits here until
    # the first commits, then sees its booking. Always lock in this order.
    if lesson.venue_id:
        list(Venue.objects.select_for_update().filter(pk=lesson.venue_id).values_list("pk"))
    if lesson.lecturer_member_id:
        list(Member.objects.select_for_update().filter(pk=lesson.lecturer_member_id).values_list("pk"))
    if lesson.lecturer_outside_id:
        list(OutsideLecturer.objects.select_for_update().filter(pk=lesson.lecturer_outside_id).values_list("pk"))


@transaction.atomic
def lesson_save(*, lesson: Lesson, co_host_ids=(), actor) -> Lesson:
    """Create or update a lesson, refusing a double-booked venue or lecturer.

    Co-hosts not yet invited are invited; a change to a published lesson bumps
    its calendar revision.
    """
    creating = lesson.pk is None
    lesson.full_clean()
    _lock_booked_resources(lesson)
    problems = lesson_hard_conflicts(lesson)
    if problems:
        raise ValidationError(problems, code="double_booked")
    if not creating:
        lesson.sequence = F("sequence") + 1
        # A plan item the lesson leaves may lose its "done"; mark_lesson_stale below marks the one it joins.
        mark_plan_items_stale(Lesson.objects.filter(pk=lesson.pk, plan_item__isnull=False).values("plan_item_id"))
    if creating:
        lesson.created_by = actor if getattr(actor, "is_authenticated", False) else None
    lesson.save()
    lesson.refresh_from_db(fields=["sequence"])
    LessonHost.objects.get_or_create(
        lesson=lesson,
        branch_id=lesson.organiser_id,
        defaults={"is_organiser": True, "status": LessonHost.Status.ACCEPTED},
    )
    new_hosts = [
        LessonHost(lesson=lesson, branch_id=branch_id) for branch_id in set(co_host_ids) - {lesson.organiser_id}
    ]
    LessonHost.objects.bulk_create(new_hosts, ignore_conflicts=True)
    if lesson.status != Lesson.Status.DRAFT:
        audience_sync(lesson=lesson)
    if not creating:
        mark_lesson_stale(lesson)  # its time or credit hours may have moved
    audit_record(actor=actor, action="lesson.created" if creating else "lesson.updated", target=lesson)
    return lesson


def lesson_audience(lesson: Lesson):
    """Return the audience: members of accepted host branches on the lesson day, and named members.

    Membership is taken on the lesson's day (members.selectors.memberships):
    someone who joins after the lesson, or left before it, is not in its
    audience. It is the audience rule of LessonQuerySet.for_member, from the
    lesson's side: a branch committee meeting (支委会) is for the committee
    only, a Party cell meeting (党小组会) for the members of that cell.
    """
    on = timezone.localdate(lesson.start)
    accepted = LessonHost.objects.filter(lesson=lesson, status=LessonHost.Status.ACCEPTED).values("branch_id")
    named = Lesson.extra_audience.through.objects.filter(lesson=lesson).values("member_id")
    on_day = Q(pk__in=members_of(accepted, on).values("pk"))
    if lesson.kind in COMMITTEE_AUDIENCE_KINDS:
        committee = Post.objects.current(on).committee().filter(branch_id__in=accepted).values("member_id")
        by_branch = Q(pk__in=committee) & on_day
    elif lesson.kind in GROUP_AUDIENCE_KINDS:
        by_branch = (on_day & Q(party_group=lesson.party_group)) if lesson.party_group else Q(pk__in=[])
    else:
        by_branch = on_day
    return bureau_members_on(on).filter(by_branch | Q(pk__in=named))


def audience_sync(*, lesson: Lesson) -> int:
    """Give every audience member an attendance row; return how many were added."""
    existing = set(Attendance.objects.filter(lesson=lesson).values_list("member_id", flat=True))
    missing = [
        Attendance(lesson=lesson, member_id=member_id)
        for member_id in lesson_audience(lesson).values_list("pk", flat=True)
        if member_id not in existing
    ]
    Attendance.objects.bulk_create(missing, ignore_conflicts=True, batch_size=500)
    return len(missing)


@transaction.atomic
def lesson_publish(*, lesson: Lesson, actor) -> Lesson:
    """Publish a draft: its audience can see it, and invited branches can answer."""
    updated = Lesson.objects.filter(pk=lesson.pk, status=Lesson.Status.DRAFT).update(
        status=Lesson.Status.PUBLISHED, sequence=F("sequence") + 1
    )
    lesson.refresh_from_db()
    if updated:
        audience_sync(lesson=lesson)
        audit_record(actor=actor, action="lesson.published", target=lesson)
    return lesson


@transaction.atomic
def lesson_cancel(*, lesson: Lesson, actor, reason: str = "") -> Lesson:
    """Cancel a lesson not yet held; calendars receive it as cancelled."""
    updated = Lesson.objects.filter(pk=lesson.pk, status__in=[Lesson.Status.DRAFT, Lesson.Status.PUBLISHED]).update(
        status=Lesson.Status.CANCELLED, sequence=F("sequence") + 1
    )
    lesson.refresh_from_db()
    if not updated:
        raise ValidationError(_("Only a lesson that has not been held can be cancelled."), code="not_cancellable")
    mark_lesson_stale(lesson)
    audit_record(actor=actor, action="lesson.cancelled", target=lesson, payload={"reason": reason})
    return lesson


@dataclass
class ClosePreview:
    """What closing a lesson now will do, for the confirmation page."""

    to_be_absent: list  # members still unmarked, by name
    on_leave: int
    already_absent: int
    make_up_due_on: datetime.date

    @property
    def make_up(self) -> int:
        return len(self.to_be_absent) + self.on_leave + self.already_absent


def make_up_due_on(now) -> datetime.date:
    return timezone.localdate(now) + datetime.timedelta(days=MAKE_UP_DAYS)


def lesson_close_preview(lesson: Lesson, *, now=None) -> ClosePreview:
    """The consequences of lesson_close, computed by its own rules, without changing anything."""
    now = now or timezone.now()
    audience = lesson_audience(lesson)
    rows = Attendance.objects.filter(lesson=lesson, member__in=audience)
    unmarked = list(
        Member.objects.filter(pk__in=audience.values("pk"))
        .exclude(pk__in=rows.exclude(status=Attendance.Status.UNMARKED).values("member_id"))
        .order_by("name_pinyin", "pk")
    )
    return ClosePreview(
        to_be_absent=unmarked,
        on_leave=rows.filter(status=Attendance.Status.LEAVE).count(),
        already_absent=rows.filter(status=Attendance.Status.ABSENT).count(),
        make_up_due_on=make_up_due_on(now),
    )


@transaction.atomic
def lesson_close(*, lesson: Lesson, actor, now=None) -> dict[str, int]:
    """Mark a lesson held: unmarked attendees become absent, and the absent and excused owe make-up study."""
    now = now or timezone.now()
    if lesson.start > now:
        raise ValidationError(_("A lesson can be closed once it has started."), code="not_started")
    updated = Lesson.objects.filter(pk=lesson.pk, status=Lesson.Status.PUBLISHED).update(
        status=Lesson.Status.HELD, sequence=F("sequence") + 1
    )
    lesson.refresh_from_db()
    if not updated:
        raise ValidationError(_("Only a published lesson can be closed."), code="not_closable")
    audience_sync(lesson=lesson)
    # Rows made before the day for people who were no longer members on it are not the audience's.
    Attendance.objects.filter(lesson=lesson, status=Attendance.Status.UNMARKED).exclude(
        member__in=lesson_audience(lesson)
    ).delete()
    absent = Attendance.objects.filter(lesson=lesson, status=Attendance.Status.UNMARKED).update(
        status=Attendance.Status.ABSENT
    )
    missed = list(
        Attendance.objects.filter(
            lesson=lesson, status__in=[Attendance.Status.ABSENT, Attendance.Status.LEAVE]
        ).values_list("member_id", "status")
    )
    if missed:
        make_up, _created = Assignment.objects.get_or_create(
            lesson=lesson,
            kind=Assignment.Kind.MAKE_UP,
            defaults={
                "title": _("Make-up study: %(title)s") % {"title": lesson.title},
                "topic": lesson.topic,
                "branch_id": lesson.organiser_id,
                "due_on": make_up_due_on(now),
                "min_hours": lesson.credit_hours,
                "created_by": actor if getattr(actor, "is_authenticated", False) else None,
            },
        )
        AssignmentTarget.objects.bulk_create(
            [AssignmentTarget(assignment=make_up, member_id=m, reason=s) for m, s in missed],
            ignore_conflicts=True,
            batch_size=500,
        )
    # The live session ends with the lesson: later answers are refused.
    LiveItem.objects.filter(lesson=lesson, status=LiveItem.Status.OPEN).update(
        status=LiveItem.Status.CLOSED, closed_at=now
    )
    mark_lesson_stale(lesson)
    topic_requesters_notify(lesson=lesson)
    audit_record(actor=actor, action="lesson.closed", target=lesson, payload={"absent": absent})
    enqueue_on_commit("training.tasks.send_absence_warnings", lesson.pk)
    return {"absent": absent, "make_up": len(missed)}


# --- joint lessons ---------------------------------------------------------


@transaction.atomic
def invitation_respond(*, host: LessonHost, accept: bool, reason: str, actor) -> LessonHost:
    """Accept or decline an invitation to co-host; accepting adds the branch's members to the audience."""
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("Please give a reason for declining.")}, code="reason_required")
    if host.lesson.status in (Lesson.Status.CANCELLED, Lesson.Status.HELD):
        raise ValidationError(_("The lesson is over or cancelled; the invitation can no longer be answered."))
    host.status = LessonHost.Status.ACCEPTED if accept else LessonHost.Status.DECLINED
    host.reason = reason.strip()
    host.responded_by = actor
    host.responded_at = timezone.now()
    host.save()
    if accept and host.lesson.status == Lesson.Status.PUBLISHED:
        audience_sync(lesson=host.lesson)
    elif not accept:
        # Members who have not checked in leave the audience with their branch.
        Attendance.objects.filter(
            lesson=host.lesson, member__branch=host.branch, status=Attendance.Status.UNMARKED
        ).delete()
    mark_lesson_stale(host.lesson)
    audit_record(
        actor=actor,
        action="lesson.invitation_answered",
        target=host.lesson,
        payload={"branch": host.branch_id, "accepted": accept, "reason": host.reason},
    )
    return host


# --- check-in --------------------------------------------------------------


def _checkin_salt(lesson: Lesson) -> str:
    return f"training.checkin:{lesson.checkin_key}"


def checkin_token(lesson: Lesson, *, now=None) -> str:
    """Return the code for the projector's current 15-second window."""
    window = int((now or timezone.now()).timestamp()) // CHECKIN_STEP_SECONDS
    return signing.dumps([lesson.pk, window], salt=_checkin_salt(lesson), compress=False)


def checkin_verify(lesson: Lesson, token: str, *, now=None) -> None:
    """Raise CheckInRefused unless *token* is this lesson's code and still fresh."""
    try:
        lesson_id, window = signing.loads(token, salt=_checkin_salt(lesson))
    except (signing.BadSignature, ValueError, TypeError):
        raise CheckInRefused(_("This check-in code is not valid for this lesson.")) from None
    current = int((now or timezone.now()).timestamp()) // CHECKIN_STEP_SECONDS
    if lesson_id != lesson.pk or not 0 <= current - window < CHECKIN_WINDOWS:
        raise CheckInRefused(_("This check-in code has expired. Scan the code on the screen again."))


def attendance_check_in(*, lesson: Lesson, member: Member, now=None) -> Attendance:
    """Mark *member* present, or late after the grace period; a second scan changes nothing."""
    now = now or timezone.now()
    if lesson.status != Lesson.Status.PUBLISHED:
        raise CheckInRefused(_("Check-in is closed for this lesson."))
    if now < lesson.start - CHECKIN_OPENS_BEFORE or now > lesson.end:
        raise CheckInRefused(_("Check-in opens 30 minutes before the start and closes at the end."))
    if (
        not lesson_audience(lesson).filter(pk=member.pk).exists()
        and not Attendance.objects.filter(lesson=lesson, member=member).exists()
    ):
        raise CheckInRefused(_("You are not in the audience of this lesson."))
    status = (
        Attendance.Status.LATE
        if now > lesson.start + datetime.timedelta(minutes=lesson.grace_minutes)
        else Attendance.Status.PRESENT
    )
    with transaction.atomic():
        row, _created = Attendance.objects.select_for_update().get_or_create(lesson=lesson, member=member)
        if row.checked_in_at is None:
            row.status = status
            row.checked_in_at = now
            row.save(update_fields=["status", "checked_in_at", "updated_at"])
            mark_lesson_stale(lesson, member_ids=[member.pk])
    return row


@dataclass
class AttendanceMarks:
    changed: int = 0
    errors: dict[int, str] = field(default_factory=dict)


@transaction.atomic
def attendance_mark(*, lesson: Lesson, marks: dict[int, tuple[str, str]], actor) -> AttendanceMarks:
    """Set many attendance rows in one go: {member_id: (status, reason)}.

    Marking someone present who did not scan needs a reason. All rows are
    checked first; with any error nothing is written.
    """
    if lesson.status not in (Lesson.Status.PUBLISHED, Lesson.Status.HELD):
        raise ValidationError(_("Attendance can be taken only for a published or held lesson."))
    rows = {row.member_id: row for row in Attendance.objects.select_for_update().filter(lesson=lesson)}
    result = AttendanceMarks()
    changed = []
    valid = set(Attendance.Status.values) - {Attendance.Status.UNMARKED}
    for member_id, (status, reason) in marks.items():
        row = rows.get(member_id)
        if row is None or not status or (status == row.status and reason == row.reason):
            continue
        if status not in valid:
            result.errors[member_id] = _("Choose a valid status.")
            continue
        reason = reason.strip()
        attended = status in (Attendance.Status.PRESENT, Attendance.Status.LATE)
        if attended and row.checked_in_at is None and not reason:
            result.errors[member_id] = _("Give a reason when marking present someone who did not scan.")
            continue
        row.status, row.reason, row.marked_by = status, reason, actor
        changed.append(row)
    if result.errors:
        transaction.set_rollback(True)
        return result
    Attendance.objects.bulk_update(changed, ["status", "reason", "marked_by", "updated_at"], batch_size=500)
    if changed:
        mark_lesson_stale(lesson, member_ids=[row.member_id for row in changed])
        audit_record(actor=actor, action="lesson.attendance_marked", target=lesson, payload={"rows": len(changed)})
    result.changed = len(changed)
    return result


# --- leave -----------------------------------------------------------------


@transaction.atomic
def leave_request_create(*, lesson: Lesson, member: Member, reason: str, now=None) -> LeaveRequest:
    """Ask for leave before the lesson starts."""
    now = now or timezone.now()
    if now >= lesson.start or lesson.status != Lesson.Status.PUBLISHED:
        raise ValidationError(_("Leave can be asked for only before the lesson starts."), code="too_late")
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")}, code="reason_required")
    request, created = LeaveRequest.objects.get_or_create(
        lesson=lesson, member=member, defaults={"reason": reason.strip()}
    )
    if not created:
        if request.status != LeaveRequest.Status.PENDING:
            raise ValidationError(_("Your leave request has already been decided."), code="decided")
        request.reason = reason.strip()
        request.save(update_fields=["reason"])
    return request


@transaction.atomic
def leave_request_decide(*, leave: LeaveRequest, approve: bool, actor) -> LeaveRequest:
    """Approve or refuse a leave request; an approved one marks the member on leave."""
    status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REFUSED
    updated = LeaveRequest.objects.filter(pk=leave.pk, status=LeaveRequest.Status.PENDING).update(
        status=status, decided_by=actor, decided_at=timezone.now()
    )
    leave.refresh_from_db()
    if updated and approve:
        row, _created = Attendance.objects.get_or_create(lesson_id=leave.lesson_id, member_id=leave.member_id)
        if row.checked_in_at is None:
            row.status, row.reason, row.marked_by = Attendance.Status.LEAVE, leave.reason, actor
            row.save(update_fields=["status", "reason", "marked_by", "updated_at"])
    if updated:
        mark_lesson_stale(leave.lesson, member_ids=[leave.member_id])
        audit_record(
            actor=actor,
            action="lesson.leave_decided",
            target=leave.lesson,
            payload={"member": leave.member_id, "approved": approve},
        )
    return leave


# --- feedback, questions, materials ---------------------------------------


def feedback_submit(*, lesson: Lesson, member: Member, rating: int, comment: str, anonymous: bool) -> Feedback:
    """Rate a lesson one attended; a second submission replaces the first."""
    attended = Attendance.objects.filter(
        lesson=lesson, member=member, status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE]
    ).exists()
    if not attended:
        raise ValidationError(_("Only those who attended can rate the lesson."), code="not_attended")
    feedback, _created = Feedback.objects.update_or_create(
        lesson=lesson,
        member=member,
        defaults={"rating": rating, "comment": comment.strip(), "is_anonymous": anonymous},
    )
    return feedback


def question_ask(*, lesson: Lesson, member: Member, text: str, anonymous: bool) -> Question:
    """Ask the organiser a question about a lesson."""
    if not text.strip():
        raise ValidationError({"text": _("Please write your question.")})
    return Question.objects.create(lesson=lesson, member=member, text=text.strip(), is_anonymous=anonymous)


def question_answer(*, question: Question, answer: str, actor) -> Question:
    """Answer (or correct the answer to) a question."""
    if not answer.strip():
        raise ValidationError({"answer": _("Please write an answer.")})
    question.answer = answer.strip()
    question.answered_by = actor
    question.answered_at = timezone.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    return question


def material_add(*, lesson: Lesson, title: str, upload=None, url: str = "", actor) -> LessonMaterial:
    """Attach a file (size and type limited) or a link to a lesson."""
    if bool(upload) == bool(url):
        raise ValidationError(_("Attach either a file or a link."), code="file_or_link")
    material = LessonMaterial(lesson=lesson, title=title.strip(), url=url, uploaded_by=actor)
    if upload:
        extension = PurePath(upload.name).suffix.lower()
        if extension not in MATERIAL_EXTENSIONS:
            message = _("Files of type %(ext)s are not accepted. Accepted: %(allowed)s.") % {
                "ext": extension or "?",
                "allowed": " ".join(sorted(MATERIAL_EXTENSIONS)),
            }
            raise ValidationError({"file": ValidationError(message, code="file_type")})
        if upload.size > MATERIAL_MAX_BYTES:
            message = _("The file is larger than %(mb)d MB.") % {"mb": MATERIAL_MAX_BYTES // 2**20}
            raise ValidationError({"file": ValidationError(message, code="file_size")})
        material.file = upload
        material.size = upload.size
    material.full_clean()
    material.save()
    return material


# --- calendar feed ---------------------------------------------------------


def calendar_feed_for(member: Member) -> CalendarFeed:
    """Return the member's feed, creating it on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(member=member)
    return feed


def calendar_feed_reset(*, member: Member) -> CalendarFeed:
    """Issue a new secret token; the old link stops working at once."""
    feed = calendar_feed_for(member)
    feed.token = secrets.token_urlsafe()
    feed.save(update_fields=["token"])
    return feed


def outside_lecturer_get_or_create(*, name: str, organisation: str, title: str = "") -> OutsideLecturer:
    """Find an outside lecturer in the shared pool, or add them."""
    lecturer, _created = OutsideLecturer.objects.get_or_create(
        name=name.strip(), organisation=organisation.strip(), defaults={"title": title.strip()}
    )
    return lecturer
