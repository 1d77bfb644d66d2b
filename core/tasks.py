from celery import shared_task


@shared_task(ignore_result=True)
def relay_outbox() -> dict:
    """Beat, every few seconds: publish background work the kick after commit could not; note that a worker lives."""
    from core.heartbeats import heartbeat
    from core.outbox import purge_sent, relay

    result = relay()
    heartbeat("worker", result)
    if result["sent"] == 0:
        purge_sent()
    return result
