from celery import shared_task
from django.db import InterfaceError, OperationalError


# Send failures are retried through the row's send_after and the minute sweep
# (members.notifications.deliver); the task itself retries only when the
# database is briefly unavailable.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def deliver_notification(notification_id: int) -> str:
    """Deliver one email or SMS; safe to redeliver (claim first, log once)."""
    from members.services.notifications import deliver

    return deliver(notification_id)


@shared_task
def requeue_notifications() -> int:
    """Beat entry point: enqueue every due notification, including ones a dead worker left half-sent."""
    from members.services.notifications import requeue_stale

    ids = requeue_stale()
    for pk in ids:
        deliver_notification.delay(pk)
    return len(ids)


@shared_task
def purge_identity_access_log() -> int:
    """Beat entry point: delete access-log rows past the retention period."""
    from members.sensitive import access_log_purge

    return access_log_purge()
