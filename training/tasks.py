from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task
def send_lesson_reminders() -> int:
    """Beat: remind audiences of lessons starting within 24 hours and 1 hour."""
    from training.services.reminders import lesson_reminders_send

    return lesson_reminders_send()


@shared_task
def send_assignment_reminders() -> int:
    """Beat, daily: assignments due within three days; overdue ones weekly."""
    from training.services.reminders import assignment_reminders_send

    return assignment_reminders_send()


@shared_task
def escalate_lesson_reminders() -> int:
    """Beat, evenings: SMS for tomorrow's lesson when the in-app reminder is still unread."""
    from training.services.reminders import escalate_unread_lesson_reminders

    return escalate_unread_lesson_reminders()


# Retried while the database is away (the warnings are deduplicated, so a
# retry after a partial run sends nothing twice).
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=10,
)
def send_absence_warnings(lesson_id: int) -> int:
    """After a lesson closes: warn the committee about repeated absence (dedup makes it safe to rerun)."""
    from training.services.reminders import absence_warnings_send

    return absence_warnings_send(lesson_id=lesson_id)


# A busy or briefly unavailable database (SQLite's lock on the embedded default,
# a PostgreSQL restart) is retried; the marks stay until a run succeeds.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=5,
)
def refresh_figures() -> int:
    """Recompute the figures the services marked stale; coalesces bursts, safe to run twice."""
    from training.services.figures import figures_refresh

    return figures_refresh()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_current_year() -> int:
    """Beat, just after midnight: a new day moves this year's reference day, so recompute the year."""
    from django.utils import timezone

    from members.services.figures import mark_year_stale

    mark_year_stale(timezone.localdate().year)
    return 1


@shared_task(acks_late=True, reject_on_worker_lost=True)
def reconcile_figures() -> int:
    """Beat, nightly: reconcile this year's and last year's figures, repair and report differences."""
    from django.utils import timezone

    from core.heartbeats import heartbeat
    from training.services.reconcile import reconcile_figures as reconcile

    this_year = timezone.localdate().year
    found = {year: len(reconcile(year, fix=True, notify=True)) for year in (this_year - 1, this_year)}
    # The operators' status page shows the last result.
    heartbeat("reconciliation", {"result": "repaired" if any(found.values()) else "clean", "differences": found})
    return sum(found.values())
