"""The floor of the reminder sweep: a task that only counts itself (worker option --include bench.tasks)."""

from functools import cache

import redis
from celery import shared_task
from django.conf import settings


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@shared_task(ignore_result=True)
def noop(counter_key: str) -> None:
    """Do nothing but add one to *counter_key* in Redis, so the harness sees when all are done."""
    _redis().incr(counter_key)
