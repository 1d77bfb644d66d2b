"""A real Celery worker, in its own process, on the real broker and the test database."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app

QUEUES = ("default", "reminders", "reports")


def _require_services():
    problems = []
    if connection.vendor != "postgresql":
        problems.append("PostgreSQL (DATABASE_URL)")
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        problems.append("Redis (CELERY_BROKER_URL)")
    if problems:
        if os.environ.get("CI") == "true":
            pytest.fail("integration tests need " + " and ".join(problems))
        pytest.skip("integration tests need " + " and ".join(problems))


def purge_queues():
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in QUEUES:
            try:
                channel.queue_purge(queue)
            except Exception:  # a queue that was never declared
                pass


class Worker:
    def __init__(self, log_dir, **env):
        self.name = f"itest-{uuid.uuid4().hex[:8]}@localhost"
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            # Work a task queues goes through the outbox; publish it at once.
            "OUTBOX_KICK": "true",
            **env,
        }
        self.log = open(log_dir / f"{self.name}.log", "w")  # noqa: SIM115
        self.process = None

    def start(self, concurrency: int = 1):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                ",".join(QUEUES),
                "-c",
                str(concurrency),
                "--pool",
                "prefork",
                "-l",
                "INFO",
                "-n",
                self.name,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited: see {self.log.name}")
            if app.control.ping(destination=[self.name], timeout=0.5):
                return self
        raise RuntimeError(f"the worker did not start: see {self.log.name}")

    def kill(self):
        """SIGKILL the worker and its pool children at once, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def worker_factory(transactional_db, tmp_path, settings):
    _require_services()
    purge_queues()
    settings.OUTBOX_KICK = True  # what this process queues is published right after the commit
    started = []

    def make(**env):
        worker = Worker(tmp_path, **env)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()
    purge_queues()
    # A killed worker's pool process may still hold a connection for a moment;
    # close them so the test database can be dropped at the end of the run.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def wait_for(condition, *, timeout=60, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()
