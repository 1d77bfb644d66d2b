"""The secretary's daily digest: what waits for the branch committee today."""

from collections import Counter

from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import RectificationItem
from branches.models import Branch
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


def subtree_digest_counts(organisations, *, today, now) -> dict[int, Counter]:
    """Count per organisation what waits in its whole subtree (a 党总支: the branches below it too).

    Six queries whatever the number of organisations and the depth: the
    subtrees' organisations, then digest_counts over all of them, each
    branch's counts added to every given organisation above it (read from its path).
    """
    wanted = {org.pk for org in organisations}
    paths = sorted({org.path for org in organisations})
    # A subtree inside another one is scanned with it.
    roots = [p for i, p in enumerate(paths) if not any(p.startswith(q) for q in paths[:i])]
    below = list(Branch.objects.subtree_of(*[Branch(path=p) for p in roots]).values_list("pk", "path"))
    counts = digest_counts([pk for pk, _path in below], today=today, now=now)
    totals = {pk: Counter() for pk in wanted}
    for pk, path in below:
        for ancestor in (int(part) for part in path.split("/") if part):
            if ancestor in wanted:
                totals[ancestor].update(counts[pk])
    return totals


def secretary_digest_send(*, now=None) -> int:
    """Send each committee's secretaries their digest of its whole subtree, if anything waits; once a day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    posts = list(
        Post.objects.current(today)
        .filter(kind__in=["secretary", "deputy_secretary", "organising"])
        .select_related("member", "branch")
    )
    counts = subtree_digest_counts({p.branch for p in posts}, today=today, now=now)
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
