"""A real Celery worker, in its own process, on the real broker and the test database."""

import contextlib
import os
import signal
import socket
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


def database_url(port: int | None = None) -> str:
    """The test database's URL, on *port* (a proxy in front of PostgreSQL) if given."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{db['NAME']}"


def process_env(**env) -> dict:
    """The environment of a worker, beat or web process on the test database and broker."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": _redirected_broker() or settings.CELERY_BROKER_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Work a task queues goes through the outbox; publish it at once.
        "OUTBOX_KICK": "true",
        **{key: str(value) for key, value in env.items()},
    }


def stop_process_group(process) -> None:
    """Stop a process started in its own session, and its children: SIGTERM, then SIGKILL after 15 s."""
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Worker:
    def __init__(self, log_dir, **env):
        self.name = f"itest-{uuid.uuid4().hex[:8]}@localhost"
        self.env = process_env(**env)
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
        stop_process_group(self.process)
        self.log.close()


@pytest.fixture
def worker_factory(transactional_db, tmp_path, settings, own_redis):
    """Workers on the test database and on a Redis of the test's own.

    A shared Redis would let the workers of parallel tests take each
    other's messages, and one test's clean-up purge another's queues. A test
    that already set its broker (a proxy it cuts) keeps it.
    """
    _require_services()
    settings.OUTBOX_KICK = True  # what this process queues is published right after the commit
    started = []

    def make(**env):
        worker = Worker(tmp_path, **env)
        started.append(worker)
        return worker

    with publishing_to(own_redis.url) if _redirected_broker() is None else contextlib.nullcontext():
        purge_queues()
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


def _redirected_broker() -> str | None:
    """The URL publishing_to() set, if any (app.conf.broker_write_url falls back to broker_url)."""
    return app.conf.get("broker_write_url")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A Redis of the test's own, on another port, that the test may stop and start again (empty)."""

    def __init__(self, folder):
        self.port = free_port()
        self.folder = folder
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        if not wait_for(lambda: _answers(client), timeout=10, interval=0.05):
            raise RuntimeError("the test's Redis did not start")
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash: nothing saved
            self.process.wait(timeout=10)


def _answers(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@contextlib.contextmanager
def publishing_to(url: str):
    """Make this process publish (kick, relay, ping, purge) to the broker at *url*."""
    from core import outbox

    def reset():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        outbox._forget_connection()
        outbox._kick_state["quiet_until"] = 0.0

    app.conf.broker_write_url = url
    reset()
    try:
        yield
    finally:
        app.conf.broker_write_url = None
        reset()


class Beat:
    """celery beat in its own process, with a schedule file of its own."""

    def __init__(self, log_dir, **env):
        self.log = open(log_dir / f"beat-{uuid.uuid4().hex[:6]}.log", "w")  # noqa: SIM115
        self.schedule = log_dir / f"beat-{uuid.uuid4().hex[:6]}.schedule"
        self.env = process_env(**env)
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO", "-s", str(self.schedule)],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self):
        stop_process_group(self.process)
        self.log.close()


@pytest.fixture
def beat_factory(transactional_db, tmp_path):
    """Beats on the test database and broker, stopped at the end of the test."""
    started = []

    def make(**env):
        beat = Beat(tmp_path, **env)
        started.append(beat)
        return beat

    _require_services()
    yield make
    for beat in started:
        beat.stop()
