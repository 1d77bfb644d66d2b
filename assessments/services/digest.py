"""The secretary's daily digest: what waits for the branch committee today."""

from collections import Counter

from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import RectificationItem
from members.models import Post
from members.services.notifications import Message, notify_many
from training.models import LeaveRequest, LessonHost, StudyNote


def digest_counts(branch_ids, *, today, now) -> dict[int, Counter]:
    """Count per branch: notes to review, leave requests, joint-lesson invitations, overdue rectification."""
    counts = {branch_id: Counter() for branch_id in branch_ids}
    queries = {
        "notes": StudyNote.objects.filter(status="submitted", member__branch_id__in=branch_ids).values_list(
            "member__branch_id", flat=True
        ),
        "leave": LeaveRequest.objects.filter(
            status="pending", lesson__start__gt=now, member__branch_id__in=branch_ids
        ).values_list("member__branch_id", flat=True),
        "invitations": LessonHost.objects.filter(
            status="invited", lesson__status="published", lesson__start__gt=now, branch_id__in=branch_ids
        ).values_list("branch_id", flat=True),
        "overdue": RectificationItem.objects.filter(deadline__lt=today, visit__branch_id__in=branch_ids)
        .exclude(status="done")
        .values_list("visit__branch_id", flat=True),
    }
    for name, values in queries.items():
        for branch_id in values:
            counts[branch_id][name] += 1
    return counts


def secretary_digest_send(*, now=None) -> int:
    """Send each branch committee's secretaries their digest, if anything waits; once a day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    posts = list(
        Post.objects.current(today)
        .filter(kind__in=["secretary", "deputy_secretary", "organising"])
        .select_related("member")
    )
    counts = digest_counts({p.branch_id for p in posts}, today=today, now=now)
    created = 0
    for post in posts:
        waiting = counts[post.branch_id]
        if not sum(waiting.values()):
            continue
        message = Message(
            kind="secretary_digest",
            target=f"branch:{post.branch_id}",
            period=today.isoformat(),
            title=_("Waiting for your branch today"),
            body=_(
                "%(notes)d notes to review, %(leave)d leave requests, %(invitations)d joint-lesson invitations, "
                "%(overdue)d overdue rectification items."
            )
            % {k: waiting[k] for k in ("notes", "leave", "invitations", "overdue")},
            url="/study/review/" if waiting["notes"] else "/",
        )
        created += notify_many(lambda _m, message=message: message, [post.member], now=now)
    return created
