from celery import shared_task
from django.db import InterfaceError, OperationalError

# Send failures are retried through the row's send_after and the minute sweep
# (members.notifications.deliver); the task itself retries only when the
# database is briefly unavailable.
DELIVERY_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(**DELIVERY_TASK)
def deliver_notification(notification_id: int) -> str:
    """Deliver one email or SMS (messages queued before batching, and tests); safe to redeliver."""
    from members.services.notifications import deliver

    return deliver(notification_id)


@shared_task(**DELIVERY_TASK)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Deliver a batch of emails and SMS; safe to redeliver (one claim for the batch, one log per message)."""
    from members.services.notifications import deliver_batch

    counts: dict[str, int] = {}
    for outcome in deliver_batch(notification_ids).values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@shared_task
def requeue_notifications() -> int:
    """Beat entry point: enqueue every due notification in batches, including ones a dead worker left half-sent."""
    from members.services.notifications import batches, requeue_stale

    ids = requeue_stale()
    for chunk in batches(ids):
        deliver_notifications.delay(chunk)
    return len(ids)


@shared_task
def purge_identity_access_log() -> int:
    """Beat entry point: delete access-log rows past the retention period."""
    from members.sensitive import access_log_purge

    return access_log_purge()
