"""Membership on a day: the one answer to "who belonged to branch B on day D" and "where was M on day D".

A member belongs to a branch on a day when one of their membership periods
covers that day (start ≤ day ≤ end, an open end meaning "still"). A member
who died or was transferred out of the bureau has their last period closed
on that day by the member services; a legacy record whose status says so
but whose period is still open is treated as no longer a member at all,
since the day they left is unknown.

Party standing (党籍状态) is the one other rule: a member whose standing is
not normal (停止党籍, 失联, …) is not counted as a member on any day while it
lasts, so they are in no audience, carry no study requirement and appear in
no figure. Standing has no date: a change of it moves this year's and last
year's figures (the span the ledger keeps live), which the member services
mark stale.

Every figure that attributes something to a branch "on the day" (attendance
at a lesson, the audience of a held lesson, a year's branch on its last day)
goes through these functions, so pages, reports and the figures ledger agree.
"""

import datetime

from django.db.models import Q, QuerySet, Subquery

from members.models import Member, Membership

ACTIVE_STATUSES = (Member.Status.FULL, Member.Status.PROBATIONARY)


def in_good_standing(prefix: str = "") -> Q:
    """Condition on a member (reached through *prefix*, e.g. "member__"): their Party standing counts."""
    return Q(**{f"{prefix}standing": Member.Standing.NORMAL})


def _left_without_date() -> Q:
    return Q(end_on__isnull=True) & ~Q(member__status__in=ACTIVE_STATUSES)


def memberships_on(day) -> QuerySet[Membership]:
    """Membership periods covering *day* (a date, or an OuterRef/expression yielding one)."""
    return (
        Membership.objects.filter(start_on__lte=day)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=day))
        .exclude(_left_without_date())
        .filter(in_good_standing("member__"))
    )


def members_of(branch_ids, day: datetime.date) -> QuerySet[Member]:
    """Members who belonged to one of *branch_ids* on *day*."""
    return Member.objects.filter(pk__in=memberships_on(day).filter(branch_id__in=branch_ids).values("member_id"))


def bureau_members_on(day: datetime.date) -> QuerySet[Member]:
    """Members who belonged to any branch on *day*."""
    return Member.objects.filter(pk__in=memberships_on(day).values("member_id"))


def branch_on(member_ref, day_ref) -> Subquery:
    """SQL expression: the branch of member *member_ref* on *day_ref* (both OuterRef or expressions), or NULL."""
    return Subquery(
        memberships_on(day_ref).filter(member_id=member_ref).order_by("-start_on", "-pk").values("branch_id")[:1]
    )


def branch_of(member: Member, day: datetime.date) -> int | None:
    """The id of the branch *member* belonged to on *day*, or None."""
    return (
        memberships_on(day)
        .filter(member=member)
        .order_by("-start_on", "-pk")
        .values_list("branch_id", flat=True)
        .first()
    )
