"""Marking figures stale: the one call every service makes when it changes what a figure counts.

The marks are written in the caller's transaction, so they commit or roll
back with the change itself, and so is the recount's outbox row (the task
named by settings.FIGURES_REFRESH_TASK, which config wires to the figures
ledger), sent to a worker once the transaction commits. A nightly reconciliation catches anything a
mark missed.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.background import enqueue_on_commit
from members.models import StaleFigures


def _queued_marker() -> None:
    """Registered on commit only to say: this transaction already queued a recount."""


def _queue_refresh_once() -> None:
    # One recount per transaction, however many marks it wrote; through the outbox like all background work.
    if any(entry[1] is _queued_marker for entry in connection.run_on_commit):
        return
    transaction.on_commit(_queued_marker)
    enqueue_on_commit(settings.FIGURES_REFRESH_TASK)


def mark_figures_stale(*, years: Iterable[int], members: Iterable[int] = (), branches: Iterable[int] = ()) -> None:
    """Mark the figures of *members* and *branches* (ids) for each of *years* stale."""
    years = sorted({int(year) for year in years if year})
    member_ids = sorted({int(pk) for pk in members if pk})
    branch_ids = sorted({int(pk) for pk in branches if pk})
    if not years or not (member_ids or branch_ids):
        return
    now = timezone.now()
    marks = [StaleFigures(year=y, member_id=m, marked_at=now) for y in years for m in member_ids]
    marks += [StaleFigures(year=y, branch_id=b, marked_at=now) for y in years for b in branch_ids]
    StaleFigures.objects.bulk_create(marks, ignore_conflicts=True, batch_size=1000)
    _queue_refresh_once()


def mark_year_stale(year: int) -> None:
    """Mark every figure of *year* stale (a rule or requirement changed)."""
    StaleFigures.objects.bulk_create([StaleFigures(year=year)], ignore_conflicts=True)
    _queue_refresh_once()


def years_since(day, *, today=None) -> range:
    """The years a change of branch or post on *day* moves: from its year to this one, at most last year on.

    Figures are kept live for this year and last year (the nightly
    reconciliation's span); an older year is recounted on request with
    ``manage.py reconcile_figures --year Y --fix``.
    """
    today = today or timezone.localdate()
    return range(max(day.year, today.year - 1), max(day.year, today.year) + 1)


def membership_or_post_changed(sender, instance, **kwargs) -> None:
    """Signal receiver: a membership or post (saved anywhere, the admin included) moves figures from its start on."""
    mark_figures_stale(
        years=years_since(instance.start_on), members=[instance.member_id], branches=[instance.branch_id]
    )
