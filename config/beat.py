"""A beat scheduler that refuses to run twice: two beats would send every reminder twice.

The lock lives in Redis when the broker is Redis (one beat across all
machines), and in a file lock under var/ on the embedded default.
"""

import fcntl
import os
import socket
from pathlib import Path

from celery.beat import PersistentScheduler
from celery.utils.log import get_logger

logger = get_logger(__name__)
LOCK_KEY = "party-training:beat-lock"
LOCK_TTL = 60


class BeatAlreadyRunning(SystemExit):
    pass


class BeatLock:
    def __init__(self, broker_url: str, folder: Path):
        self.broker_url = broker_url
        self.folder = folder
        self.token = f"{socket.gethostname()}:{os.getpid()}"
        self._file = None
        self._redis = None

    def acquire(self) -> bool:
        if self.broker_url.startswith(("redis://", "rediss://")):
            import redis

            self._redis = redis.Redis.from_url(self.broker_url)
            return bool(self._redis.set(LOCK_KEY, self.token, nx=True, ex=LOCK_TTL))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = open(self.folder / "celerybeat.lock", "w")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            return False
        return True

    def refresh(self) -> bool:
        """Extend the Redis lock; False if another beat took it over (this one must stop)."""
        if self._redis is None:
            return True
        if self._redis.get(LOCK_KEY) != self.token.encode():
            return False
        self._redis.expire(LOCK_KEY, LOCK_TTL)
        return True

    def release(self) -> None:
        if self._redis is not None and self._redis.get(LOCK_KEY) == self.token.encode():
            self._redis.delete(LOCK_KEY)
        if self._file is not None:
            self._file.close()


class SingleBeatScheduler(PersistentScheduler):
    def setup_schedule(self):
        from django.conf import settings

        self.lock = BeatLock(self.app.conf.broker_url or "", Path(settings.VAR_DIR))
        if not self.lock.acquire():
            raise BeatAlreadyRunning("Another celery beat is already running; only one may run.")
        super().setup_schedule()

    def tick(self, *args, **kwargs):
        if not self.lock.refresh():
            raise BeatAlreadyRunning("The beat lock was lost; stopping so that only one beat runs.")
        return min(super().tick(*args, **kwargs), LOCK_TTL / 3)

    def close(self):
        super().close()
        self.lock.release()
