"""What an operator needs at a glance: is each part up, and is anything piling up or stuck.

Every check answers within about a second whatever is down: the database
and the broker are each asked once with short timeouts, and a check that
needs an unreachable part reports null rather than failing the rest.
"""

import datetime
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

QUEUES = ("default", "reminders", "reports")
BROKER_TIMEOUT = 0.5


def _error(exc: BaseException) -> str:
    return type(exc).__name__


def _age(moment, now) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


def database_check() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        connection.close()  # reconnect on the next request
        return {"ok": False, "error": _error(exc)}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def broker_check() -> dict:
    """Reach the broker with a short timeout and read the length of each queue."""
    from kombu.exceptions import ChannelError

    from config.celery import app

    started = time.monotonic()
    conn = app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT,
        transport_options={
            "max_retries": 0,
            "socket_timeout": BROKER_TIMEOUT,
            "socket_connect_timeout": BROKER_TIMEOUT,
        },
    )
    try:
        channel = conn.default_channel
        queues = {}
        for name in QUEUES:
            try:
                queues[name] = channel.queue_declare(queue=name, passive=True).message_count
            except ChannelError:  # never declared: empty
                queues[name] = 0
    except Exception as exc:
        return {"ok": False, "error": _error(exc), "queues": None}
    finally:
        try:
            conn.release()
        except Exception:
            pass
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1), "queues": queues}


def _process(beat, now) -> dict:
    if beat is None:
        return {"alive": False, "last_seen": None, "age_seconds": None}
    age = _age(beat.at, now)
    return {"alive": age <= settings.HEARTBEAT_STALE_SECONDS, "last_seen": beat.at.isoformat(), "age_seconds": age}


def database_figures(now) -> dict:
    """The figures kept in the database; call only when the database answers."""
    from assessments.models import CheckupReport
    from core.heartbeats import heartbeats
    from core.models import OutboxMessage
    from members.models import Notification

    beats = heartbeats()
    pending = OutboxMessage.objects.filter(sent_at__isnull=True)
    oldest_outbox = pending.order_by("created_at").values_list("created_at", flat=True).first()
    waiting = Notification.objects.filter(status=Notification.Status.PENDING, send_after__lte=now).exclude(
        channel=Notification.Channel.IN_APP
    )
    oldest_notification = waiting.order_by("send_after").values_list("send_after", flat=True).first()
    past_lease = CheckupReport.objects.filter(
        status__in=[CheckupReport.Status.QUEUED, CheckupReport.Status.RUNNING], lease_until__lt=now
    ).count()
    reconciliation = beats.get("reconciliation")
    return {
        "worker": _process(beats.get("worker"), now),
        "beat": _process(beats.get("beat"), now),
        "outbox": {
            "pending": pending.count(),
            "oldest_pending_at": oldest_outbox.isoformat() if oldest_outbox else None,
            "oldest_age_seconds": _age(oldest_outbox, now),
        },
        "notifications": {
            "pending": waiting.count(),
            "oldest_pending_at": oldest_notification.isoformat() if oldest_notification else None,
            "oldest_age_seconds": _age(oldest_notification, now),
        },
        "jobs_past_lease": past_lease,
        "reconciliation": (
            {"at": reconciliation.at.isoformat(), **reconciliation.detail} if reconciliation is not None else None
        ),
    }


def system_status(now: datetime.datetime | None = None) -> dict:
    """The whole picture; "status" is "ok", "degraded" (something behind or down) or "down" (no database)."""
    now = now or timezone.now()
    db = database_check()
    broker = broker_check()
    figures = None
    if db["ok"]:
        try:
            figures = database_figures(now)
        except DatabaseError as exc:
            connection.close()
            db = {"ok": False, "error": _error(exc)}
    status = "ok"
    if not db["ok"]:
        status = "down"
    elif not broker["ok"] or not figures["worker"]["alive"] or not figures["beat"]["alive"]:
        status = "degraded"
    elif figures["jobs_past_lease"] or (figures["outbox"]["oldest_age_seconds"] or 0) > 60:
        status = "degraded"
    empty = dict.fromkeys(("worker", "beat", "outbox", "notifications", "jobs_past_lease", "reconciliation"))
    return {
        "status": status,
        "at": now.isoformat(),
        "database": db,
        "broker": {key: value for key, value in broker.items() if key != "queues"},
        "queues": broker["queues"],
        **(figures or empty),
    }
