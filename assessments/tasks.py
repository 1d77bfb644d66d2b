import datetime

from celery import shared_task


def assessment_year(today: datetime.date) -> int:
    """The year being assessed: this year in December, last year in January."""
    return today.year - 1 if today.month == 1 else today.year


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_year_end_indicators(year: int | None = None) -> int:
    """Recompute every member's year-end indicators; idempotent, so safe to redeliver."""
    from django.utils import timezone

    from assessments.services.indicators import indicators_recompute

    return indicators_recompute(year or assessment_year(timezone.localdate()))


@shared_task
def send_secretary_digest() -> int:
    """Beat, daily: what waits for each branch committee."""
    from assessments.services.digest import secretary_digest_send

    return secretary_digest_send()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def compile_checkup_report(self, report_id: int) -> str:
    """Compile one checkup report; the claim makes a redelivery or a second call a no-op.

    A redelivery while another run holds the lease answers "busy" and stops:
    if that run is dead its lease lapses within REPORT_LEASE_SECONDS and the
    sweep queues the report again. A database error (the database went away)
    is retried once the lease has lapsed, so the retry can claim the report.
    """
    from django.conf import settings
    from django.db import InterfaceError, OperationalError

    from assessments.services.reports import report_compile

    try:
        return report_compile(report_id)
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=settings.REPORT_LEASE_SECONDS + 1, max_retries=20) from exc


@shared_task
def sweep_checkup_reports() -> dict:
    """Beat, every half minute: queue again the reports whose lease lapsed; fail those out of attempts."""
    from assessments.services.reports import reports_sweep

    return reports_sweep()


@shared_task
def compile_monthly_reports() -> int:
    """Beat entry point: queue last month's reports for the bureau and every branch; return how many.

    Running it again queues only what is missing, so a lost run can simply be
    started again.
    """
    from assessments.services.reports import compile_monthly

    return len(compile_monthly())
