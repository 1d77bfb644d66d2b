"""Checkup reports: request, compile (claimed once per run), monthly queueing and the ready notice."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
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
    """Queue a report for the period containing *start* and the scope (None: the bureau).

    A report for the same period and scope still queued or running is
    returned instead of a second one. The compile task is enqueued once the
    transaction commits.
    """
    first, last = period_bounds(period, start)
    if first > local_today():
        message = _("The period has not begun yet; choose one that has.")
        raise ValidationError({"start": ValidationError(message, code="period_in_future")})
    if branch is not None and branch.kind not in (Branch.Kind.BRANCH, Branch.Kind.GENERAL_BRANCH):
        message = _("Choose a branch, or the whole bureau.")
        raise ValidationError({"branch": ValidationError(message, code="not_a_branch")})
    alive = Q(status=QUEUED) | Q(status=RUNNING, started_at__gte=_stale_before(timezone.now()))
    pending = (
        CheckupReport.objects.select_for_update()
        .filter(alive, period=period, period_start=first, branch=branch)
        .first()
    )
    if pending is not None:
        return pending
    report = CheckupReport(
        period=period,
        period_start=first,
        period_end=last,
        branch=branch,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
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
            report = CheckupReport.objects.create(period=MONTH, period_start=first, period_end=last, branch=branch)
            audit_record(
                actor=None,
                action="checkup_report.requested",
                target=report,
                payload={"period": MONTH, "start": str(first), "branch": report.branch_id, "schedule": "monthly"},
            )
            enqueue_on_commit("assessments.tasks.compile_checkup_report", report.pk)
            created.append(report)
    return created


def _stale_before(now: datetime.datetime) -> datetime.datetime:
    # A worker that died leaves its row running; once the row is older than
    # the longest a task may run, nobody is compiling it any more.
    return now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _claim(report_id: int, now: datetime.datetime) -> bool:
    stale = _stale_before(now)
    return bool(
        CheckupReport.objects.filter(Q(status=QUEUED) | Q(status=RUNNING, started_at__lt=stale), pk=report_id).update(
            status=RUNNING, started_at=now, finished_at=None, error=""
        )
    )


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


def leadership_members():
    """Return the members whose accounts are in leadership (or superusers): the readers of every report."""
    return (
        Member.objects.filter(Q(user__groups__name=LEADERSHIP_GROUP) | Q(user__is_superuser=True))
        .filter(user__is_active=True)
        .distinct()
    )


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
    return notify_many(lambda _member: message, leadership_members(), channels=("in_app",))


def report_compile(report_id: int) -> str:
    """Compile one queued report into its figures, PDF and XLSX; return "done", "failed", "busy" or "skipped".

    Safe to call twice: only the call that claims the row compiles it. "busy"
    means another run holds the row and may still be alive; "skipped" that
    the report is finished (or gone). An error marks the report failed with
    the error text and is not re-raised. Leadership is notified in-app when
    the report is done.
    """
    started = timezone.now()
    if not _claim(report_id, started):
        busy = CheckupReport.objects.filter(pk=report_id, status=RUNNING).exists()
        return "busy" if busy else "skipped"
    report = CheckupReport.objects.select_related("branch").get(pk=report_id)
    storage = report.pdf.storage
    saved = []
    try:
        with translation.override(settings.LANGUAGE_CODE):
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
    except Exception as exc:
        logger.exception("Checkup report %s failed", report_id)
        for name in saved:
            storage.delete(name)
        CheckupReport.objects.filter(pk=report_id, status=RUNNING, started_at=started).update(
            status=FAILED, error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS], finished_at=timezone.now()
        )
        return "failed"
    finished = CheckupReport.objects.filter(pk=report_id, status=RUNNING, started_at=started).update(
        status=DONE, figures=figures, pdf=report.pdf.name, xlsx=report.xlsx.name, finished_at=timezone.now()
    )
    if not finished:  # reclaimed as stale meanwhile: the other run's files win
        for name in saved:
            storage.delete(name)
        return "skipped"
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _notify_ready(report)
    except Exception:
        logger.exception("Could not notify leadership of checkup report %s", report_id)
    return "done"
