"""Checkup reports: request, compile (claimed once per run), monthly queueing and the ready notice."""

import datetime
import logging
import threading
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments.exports.reports import report_pdf, report_xlsx
from assessments.models import CheckupReport
from assessments.selectors.reports import (
    DONE,
    FAILED,
    MONTH,
    QUARTER,
    QUEUED,
    RUNNING,
    period_bounds,
    period_label,
    previous_month,
    report_figures,
)
from assessments.selectors.supervision import local_today
from branches.models import Branch
from core.audit import audit_record
from core.background import enqueue_on_commit
from members.models import Member
from members.permissions import LEADERSHIP_GROUP
from members.services.notifications import Message, notify_many

logger = logging.getLogger(__name__)
ERROR_MAX_CHARS = 2000

# --- writes ----------------------------------------------------------------


@transaction.atomic
def report_request(*, period: str, start: datetime.date, branch: Branch | None = None, actor) -> CheckupReport:
    """Queue a report for the period containing *start* and the scope (None: the bureau; an organisation
    with branches below: its whole subtree).

    A report for the same period and scope still queued or running is
    returned instead of a second one; if its lease lapsed (its worker or its
    message was lost) it is queued again. The compile task goes through the
    outbox with the transaction.
    """
    first, last = period_bounds(period, start)
    if first > local_today():
        message = _("The period has not begun yet; choose one that has.")
        raise ValidationError({"start": ValidationError(message, code="period_in_future")})
    now = timezone.now()
    pending = (
        CheckupReport.objects.select_for_update()
        .filter(status__in=[QUEUED, RUNNING], period=period, period_start=first, branch=branch)
        .first()
    )
    if pending is not None:
        if pending.lease_until is None or pending.lease_until < now:
            _queue_again(pending, now, attempts=0)
        return pending
    report = CheckupReport(
        period=period,
        period_start=first,
        period_end=last,
        branch=branch,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        lease_until=_start_deadline(now),
    )
    report.full_clean()
    report.save()
    audit_record(
        actor=actor,
        action="checkup_report.requested",
        target=report,
        payload={"period": period, "start": str(first), "branch": report.branch_id},
    )
    enqueue_on_commit("assessments.tasks.compile_checkup_report", report.pk)
    return report


def compile_monthly(today: datetime.date | None = None) -> list[CheckupReport]:
    """Queue last month's report for the bureau and every active branch; skip scopes already there.

    A failed report does not count as there, so running this again retries it.
    """
    first, last = previous_month(today or local_today())
    scopes = [None, *Branch.objects.branches_only().active().order_by("sort_order", "code")]
    created = []
    with transaction.atomic():
        there = set(
            CheckupReport.objects.filter(period=MONTH, period_start=first)
            .exclude(status=FAILED)
            .values_list("branch_id", flat=True)
        )
        for branch in scopes:
            if (branch.pk if branch else None) in there:
                continue
            report = CheckupReport.objects.create(
                period=MONTH, period_start=first, period_end=last, branch=branch, lease_until=_start_deadline()
            )
            audit_record(
                actor=None,
                action="checkup_report.requested",
                target=report,
                payload={"period": MONTH, "start": str(first), "branch": report.branch_id, "schedule": "monthly"},
            )
            enqueue_on_commit("assessments.tasks.compile_checkup_report", report.pk)
            created.append(report)
    return created


@transaction.atomic
def report_retry(*, report: CheckupReport, actor) -> bool:
    """Compile a failed report again (the retry button); False if it is not failed (any more)."""
    now = timezone.now()
    again = CheckupReport.objects.filter(pk=report.pk, status=FAILED).update(
        status=QUEUED, attempts=0, error="", started_at=None, finished_at=None, lease_until=_start_deadline(now)
    )
    if again:
        audit_record(actor=actor, action="checkup_report.retried", target=report)
        enqueue_on_commit("assessments.tasks.compile_checkup_report", report.pk)
    return bool(again)


def reports_sweep(*, now=None) -> dict:
    """Take up reports whose lease lapsed: queue them again, or fail them after REPORT_MAX_ATTEMPTS starts.

    A running report's lease lapses when its worker died or lost the
    database; a queued one's when no worker started it in time (its message
    was lost). Returns {"queued": n, "failed": m}.
    """
    now = now or timezone.now()
    queued = failed = 0
    with transaction.atomic():
        lapsed = (
            CheckupReport.objects.select_for_update(skip_locked=True)
            .filter(status__in=[QUEUED, RUNNING])
            .filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True))
        )
        for report in lapsed:
            if report.status == RUNNING and report.attempts >= settings.REPORT_MAX_ATTEMPTS:
                error = _("The compile stopped %(count)d times (its worker was lost); compile it again.") % {
                    "count": report.attempts
                }
                CheckupReport.objects.filter(pk=report.pk).update(
                    status=FAILED, error=error, finished_at=now, lease_until=None
                )
                failed += 1
            else:
                _queue_again(report, now)
                queued += 1
    if queued or failed:
        logger.warning("Checkup report sweep: %d queued again, %d failed", queued, failed)
    return {"queued": queued, "failed": failed}


def _start_deadline(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) + datetime.timedelta(seconds=settings.REPORT_START_SECONDS)


def _lease(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(seconds=settings.REPORT_LEASE_SECONDS)


def _queue_again(report: CheckupReport, now: datetime.datetime, **changes) -> None:
    """Put an unfinished report back in the queue and enqueue its compile (inside the caller's transaction)."""
    CheckupReport.objects.filter(pk=report.pk).update(status=QUEUED, lease_until=_start_deadline(now), **changes)
    report.status, report.lease_until = QUEUED, _start_deadline(now)
    enqueue_on_commit("assessments.tasks.compile_checkup_report", report.pk)


def _claim(report_id: int, now: datetime.datetime) -> bool:
    # A queued report, or a running one whose worker let the lease lapse
    # (and has starts left; the sweep fails it otherwise).
    lapsed = Q(status=RUNNING, lease_until__lt=now, attempts__lt=settings.REPORT_MAX_ATTEMPTS)
    return bool(
        CheckupReport.objects.filter(Q(status=QUEUED) | lapsed, pk=report_id).update(
            status=RUNNING,
            started_at=now,
            lease_until=_lease(now),
            attempts=F("attempts") + 1,
            finished_at=None,
            error="",
        )
    )


@contextmanager
def _lease_kept(report_id: int, started: datetime.datetime):
    """Renew this run's lease every third of REPORT_LEASE_SECONDS, from a thread, while the block runs."""
    stop = threading.Event()

    def renew():
        try:
            while not stop.wait(settings.REPORT_LEASE_SECONDS / 3):
                try:
                    CheckupReport.objects.filter(pk=report_id, status=RUNNING, started_at=started).update(
                        lease_until=_lease(timezone.now())
                    )
                except DatabaseError:
                    logger.warning("Could not renew the lease of checkup report %s", report_id)
                    connections.close_all()  # this thread's; a fresh one next time
        finally:
            connections.close_all()

    thread = threading.Thread(target=renew, name=f"lease-report-{report_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def file_stem(report: CheckupReport) -> str:
    """Return the download name without extension, e.g. 督查报告-2026-03-机关第一支部."""
    if report.period == MONTH:
        when = f"{report.period_start:%Y-%m}"
    elif report.period == QUARTER:
        when = f"{report.period_start:%Y}-Q{(report.period_start.month - 1) // 3 + 1}"
    else:
        when = f"{report.period_start:%Y}"
    scope = report.branch.name if report.branch_id else _("Whole bureau")
    return f"{_('Checkup report')}-{when}-{scope}"


def leadership_members(branch: Branch | None = None):
    """Return the members whose accounts lead *branch*: the top level (and superusers) always,
    a scoped leadership when its organisation is *branch* or above it (a bureau report: the top level only)."""
    readers = Q(user__groups__name=LEADERSHIP_GROUP) | Q(user__is_superuser=True)
    if branch is not None:
        readers |= Q(user__leadership_scopes__organisation_id__in=branch.ancestor_ids)
    return Member.objects.filter(readers).filter(user__is_active=True).distinct()


def _notify_ready(report: CheckupReport) -> int:
    label = period_label(report.period, report.period_start)
    scope = report.branch.name if report.branch_id else _("Whole bureau")
    message = Message(
        kind="report_ready",
        target=f"report:{report.pk}",
        period="done",
        title=_("Checkup report ready: %(scope)s, %(period)s") % {"scope": scope, "period": label},
        body=_("The report can be read online and downloaded as PDF and XLSX."),
        url=report.get_absolute_url(),
    )
    return notify_many(lambda _member: message, leadership_members(report.branch), channels=("in_app",))


def report_compile(report_id: int) -> str:
    """Compile one queued report into its figures, PDF and XLSX; return "done", "failed", "busy" or "skipped".

    Safe to call twice: only the call that claims the row compiles it. "busy"
    means another run holds the row's lease; "skipped" that the report is
    finished (or gone). The run renews its lease while it works. An error
    marks the report failed with the error text and is not re-raised, except
    a database error: that one is raised for the task to retry (the report
    stays running, its lease lapses, and a later run takes it up).
    Leadership is notified in-app when the report is done.
    """
    started = timezone.now()
    if not _claim(report_id, started):
        busy = CheckupReport.objects.filter(pk=report_id, status=RUNNING).exists()
        return "busy" if busy else "skipped"
    report = CheckupReport.objects.select_related("branch").get(pk=report_id)
    storage = report.pdf.storage
    saved = []
    try:
        with _lease_kept(report_id, started), translation.override(settings.LANGUAGE_CODE):
            figures = report_figures(
                period=report.period,
                start=report.period_start,
                end=report.period_end,
                branch=report.branch,
                today=local_today(),
            )
            stem = file_stem(report)
            pdf, xlsx = report_pdf(figures), report_xlsx(figures)
        report.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        saved.append(report.pdf.name)
        report.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
        saved.append(report.xlsx.name)
    except (OperationalError, InterfaceError):
        for name in saved:
            storage.delete(name)
        raise
    except Exception as exc:
        logger.exception("Checkup report %s failed", report_id)
        for name in saved:
            storage.delete(name)
        CheckupReport.objects.filter(pk=report_id, status=RUNNING, started_at=started).update(
            status=FAILED,
            error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS],
            finished_at=timezone.now(),
            lease_until=None,
        )
        return "failed"
    finished = CheckupReport.objects.filter(pk=report_id, status=RUNNING, started_at=started).update(
        status=DONE,
        figures=figures,
        pdf=report.pdf.name,
        xlsx=report.xlsx.name,
        finished_at=timezone.now(),
        lease_until=None,
    )
    if not finished:  # its lease lapsed and another run took it: that run's files win
        for name in saved:
            storage.delete(name)
        return "skipped"
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _notify_ready(report)
    except Exception:
        logger.exception("Could not notify leadership of checkup report %s", report_id)
    return "done"
