import datetime

from celery import shared_task


def assessment_year(today: datetime.date) -> int:
    """The year being assessed: this year in December, last year in January."""
    return today.year - 1 if today.month == 1 else today.year


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_year_end_indicators(year: int | None = None) -> int:
    """Recompute every member's year-end indicators; idempotent, so safe to redeliver."""
    from django.utils import timezone

    from .indicators import indicators_recompute

    return indicators_recompute(year or assessment_year(timezone.localdate()))


@shared_task
def send_secretary_digest() -> int:
    """Beat, daily: what waits for each branch committee."""
    from .digest import secretary_digest_send

    return secretary_digest_send()
