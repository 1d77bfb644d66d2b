"""The outbox relay: hand recorded background work to Celery, once, when the broker answers.

Two paths publish rows: the kick right after the transaction that wrote
them commits (short timeouts, and after a failure it stays quiet for a few
seconds, so no request waits on a broker that is down), and the relay beat
task every few seconds (``core.tasks.relay_outbox``), which sends whatever
the kick could not. A row is claimed (claimed_until) before it is published,
so the kick and the relay never publish it both; sent_at is set only after
the broker took the message. A process that dies between the publish and
that update leaves the row to be published again once its claim lapses:
every task is idempotent (claims on the rows they work on), so the repeat
does no second piece of work.
"""

import datetime
import logging
import threading
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.celery import app
from core.models import OutboxMessage

logger = logging.getLogger(__name__)
BATCH = 500

_kick_lock = threading.Lock()
_kick_state = {"connection": None, "quiet_until": 0.0}


def _claim(ids=None, *, limit: int = BATCH, now=None) -> list[OutboxMessage]:
    """Claim pending rows (these *ids*, or the oldest) for this publisher; return them."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(sent_at__isnull=True).exclude(claimed_until__gte=now)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        claimed = list(rows.select_for_update(skip_locked=True).order_by("pk")[:limit])
        if claimed:
            until = now + datetime.timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
            OutboxMessage.objects.filter(pk__in=[row.pk for row in claimed]).update(claimed_until=until)
    return claimed


def _publish(rows: list[OutboxMessage], connection) -> tuple[list[int], str]:
    """Publish *rows* in order on *connection*; return the ids sent and the error that stopped it, if any."""
    sent = []
    with connection.Producer() as producer:
        for row in rows:
            try:
                app.send_task(row.task, args=row.args, producer=producer, retry=False)
            except Exception as exc:
                return sent, f"{type(exc).__name__}: {exc}"[:300]
            sent.append(row.pk)
    return sent, ""


def _settle(rows: list[OutboxMessage], sent: list[int], error: str) -> None:
    if sent:
        OutboxMessage.objects.filter(pk__in=sent).update(sent_at=timezone.now(), claimed_until=None)
    unsent = [row.pk for row in rows if row.pk not in set(sent)]
    if unsent:
        # Give the rows back at once, so the relay need not wait out the claim.
        OutboxMessage.objects.filter(pk__in=unsent).update(
            claimed_until=None, last_error=error, attempts=F("attempts") + 1
        )


def relay(*, limit: int = BATCH, connection=None) -> dict:
    """Publish pending rows (oldest first, up to *limit*); return {"sent": n, "pending": m, "error": text}."""
    rows = _claim(limit=limit)
    sent, error = [], ""
    if rows:
        own = connection is None
        connection = connection or app.connection_for_write()
        try:
            sent, error = _publish(rows, connection)
        except Exception as exc:  # the connection itself failed
            error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            if own:
                connection.release()
        _settle(rows, sent, error)
        if error:
            logger.warning("Outbox relay stopped after %d of %d: %s", len(sent), len(rows), error)
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    return {"sent": len(sent), "pending": pending, "error": error}


def purge_sent(*, now=None) -> int:
    """Delete rows sent more than OUTBOX_KEEP_DAYS ago; return how many."""
    before = (now or timezone.now()) - datetime.timedelta(days=settings.OUTBOX_KEEP_DAYS)
    return OutboxMessage.objects.filter(sent_at__lt=before).delete()[0]


def _kick_connection():
    timeout = settings.OUTBOX_KICK_TIMEOUT
    return app.connection_for_write(
        connect_timeout=timeout,
        transport_options={
            "max_retries": 0,
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry_on_timeout": False,
        },
    )


def kick(ids: list[int]) -> int:
    """Try to publish the rows *ids* right away; return how many went. Never raises, never waits long.

    Called after the commit that wrote the rows. When the broker failed in
    the last OUTBOX_KICK_QUIET seconds it does not try at all: the relay
    sends the rows when the broker is back.
    """
    if not settings.OUTBOX_KICK or not ids:
        return 0
    if not _kick_lock.acquire(timeout=settings.OUTBOX_KICK_TIMEOUT):
        return 0
    try:
        if time.monotonic() < _kick_state["quiet_until"]:
            return 0
        rows = _claim(ids)
        if not rows:
            return 0
        sent, error = [], ""
        try:
            if _kick_state["connection"] is None:
                _kick_state["connection"] = _kick_connection()
            sent, error = _publish(rows, _kick_state["connection"])
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        if error:
            _forget_connection()
            _kick_state["quiet_until"] = time.monotonic() + settings.OUTBOX_KICK_QUIET
            logger.warning(
                "Broker unavailable; %d background jobs wait in the outbox: %s", len(rows) - len(sent), error
            )
        _settle(rows, sent, error)
        return len(sent)
    except Exception:
        logger.exception("Outbox kick failed; the relay will send the rows")
        return 0
    finally:
        _kick_lock.release()


def _forget_connection():
    connection, _kick_state["connection"] = _kick_state["connection"], None
    if connection is not None:
        try:
            connection.release()
        except Exception:
            pass
