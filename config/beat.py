"""A beat scheduler that refuses to run twice (two beats would send every reminder twice) and rides out outages.

The lock lives in Redis when the broker is Redis (one beat across all
machines), and in a file lock under var/ on the embedded default.

Outages: while Redis (lock store and broker) is down, beat keeps running.
It goes on scheduling for up to LOCK_TTL after it last confirmed the lock,
since no other beat can take the lock before it expires; after that it
pauses (schedules nothing) and tries to take the lock back every few
seconds. A Redis restarted without its data has lost the key: beat sets it
again. Only a lock held by another beat's token makes it exit. Entries that
fell due while paused run once when it resumes (lesson reminders look at
a window, so none is missed).
"""

import fcntl
import os
import socket
import time
from pathlib import Path

from celery.beat import PersistentScheduler
from celery.utils.log import get_logger

logger = get_logger(__name__)
LOCK_KEY = "party-training:beat-lock"
LOCK_TTL = 60
PAUSED_TICK = 2.0
# Keep the lock if it is ours, take it back if it is gone: 1 held, 2 taken back, 0 another beat's.
REFRESH_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 2
end
return 0
"""


class BeatAlreadyRunning(SystemExit):
    pass


class BeatLock:
    def __init__(self, broker_url: str, folder: Path, *, timeout: float = 2.0):
        self.broker_url = broker_url
        self.folder = folder
        self.timeout = timeout
        self.token = f"{socket.gethostname()}:{os.getpid()}"
        self._file = None
        self._redis = None
        self.confirmed_at = None  # time.monotonic() of the last confirmation

    def acquire(self) -> bool:
        if self.broker_url.startswith(("redis://", "rediss://")):
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # Fail fast while Redis is down (redis-py retries with backoff by
            # default, seconds per call); the next tick tries again.
            self._redis = redis.Redis.from_url(
                self.broker_url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
            )
            taken = bool(self._redis.set(LOCK_KEY, self.token, nx=True, ex=LOCK_TTL))
            if taken:
                self.confirmed_at = time.monotonic()
            return taken
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = open(self.folder / "celerybeat.lock", "w")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            return False
        self.confirmed_at = time.monotonic()
        return True

    def refresh(self) -> bool:
        """Extend the Redis lock, or take it back if the key is gone; False if another beat holds it.

        Raises redis' ConnectionError (or TimeoutError) while Redis cannot be reached.
        """
        if self._redis is None:
            self.confirmed_at = time.monotonic()
            return True
        held = self._redis.eval(REFRESH_SCRIPT, 1, LOCK_KEY, self.token, LOCK_TTL)
        if held == 0:
            return False
        if held == 2:
            logger.warning("The beat lock was gone (Redis lost its data?); took it back.")
        self.confirmed_at = time.monotonic()
        return True

    def still_ours(self) -> bool:
        """True while no other beat can have taken the lock: it was confirmed within LOCK_TTL."""
        return self.confirmed_at is not None and time.monotonic() - self.confirmed_at < LOCK_TTL

    def release(self) -> None:
        try:
            if self._redis is not None and self._redis.get(LOCK_KEY) == self.token.encode():
                self._redis.delete(LOCK_KEY)
        except Exception as exc:  # Redis down on the way out: the key expires by itself
            logger.warning("Could not release the beat lock: %s", exc)
        if self._file is not None:
            self._file.close()


class SingleBeatScheduler(PersistentScheduler):
    def setup_schedule(self):
        from django.conf import settings

        self.lock = BeatLock(self.app.conf.broker_url or "", Path(settings.VAR_DIR))
        self._last_heartbeat = 0.0
        while True:
            try:
                acquired = self.lock.acquire()
                break
            except Exception as exc:  # Redis not up yet: wait for it rather than exit
                logger.warning("Cannot reach the beat lock store (%s); trying again.", exc)
                time.sleep(PAUSED_TICK)
        if not acquired:
            raise BeatAlreadyRunning("Another celery beat is already running; only one may run.")
        super().setup_schedule()

    def tick(self, *args, **kwargs):
        try:
            held = self.lock.refresh()
        except Exception as exc:
            held = None
            logger.warning("Cannot reach the beat lock store: %s", exc)
        if held is False:
            raise BeatAlreadyRunning("The beat lock was lost; stopping so that only one beat runs.")
        if held is None and not self.lock.still_ours():
            return PAUSED_TICK  # another beat could hold the lock by now: schedule nothing until we know
        self._heartbeat()
        try:
            interval = super().tick(*args, **kwargs)
        except Exception as exc:  # the broker is down: the due entries are sent on a later tick
            logger.warning("Beat could not send due tasks: %s", exc)
            interval = PAUSED_TICK
        return min(interval, LOCK_TTL / 3)

    def apply_entry(self, entry, producer=None):
        """Send a due entry; when the broker refuses it, record it in the outbox so that it runs later.

        Entries with an expiry (the relay and the sweep, every few seconds)
        are simply sent again on their next run.
        """
        logger.info("Scheduler: Sending due task %s (%s)", entry.name, entry.task)
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as exc:
            if entry.options.get("expires"):
                logger.warning("Beat could not send %s (%s); it runs again shortly.", entry.name, exc)
                return
            try:
                from django.db import close_old_connections

                from core.models import OutboxMessage

                close_old_connections()
                OutboxMessage.objects.create(task=entry.task, args=list(entry.args or ()))
                logger.warning("Broker unavailable: %s waits in the outbox (%s).", entry.name, exc)
            except Exception as db_exc:
                logger.error("Beat lost a run of %s: broker (%s) and database (%s) both down", entry.name, exc, db_exc)

    def _heartbeat(self):
        from django.conf import settings
        from django.db import close_old_connections

        if time.monotonic() - self._last_heartbeat < settings.HEARTBEAT_SECONDS:
            return
        self._last_heartbeat = time.monotonic()
        try:
            close_old_connections()
            from core.heartbeats import heartbeat

            heartbeat("beat", {"pid": os.getpid()})
        except Exception as exc:
            logger.warning("Could not record the beat heartbeat: %s", exc)

    def close(self):
        try:
            super().close()
        finally:
            self.lock.release()
