"""d. A reminder sweep through a real Celery worker, against a no-op task on the same worker.

The worker is a `celery -A config worker` subprocess on the bench database
and the bench Redis database, consuming the queues the application routes
to (default, reminders) plus bench.tasks. The sweep creates SMS
escalations with members.notifications.notify_many for members whose
preferences have no quiet hours, and runs until every one has its
DeliveryLog row. Everything it creates is deleted afterwards and the
preferences it touched are put back.
"""

import datetime
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from bench.scenarios import Row

KIND = "bench_sweep"
QUEUES = ("default", "reminders")
NO_QUIET = datetime.time(0, 0)


def start_worker(opts, log_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": opts.database_url,
        "CELERY_BROKER_URL": opts.redis_url,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--include",
        "bench.tasks",
        "-Q",
        ",".join(QUEUES),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"bench-{uuid.uuid4().hex[:8]}@%h",
    ]
    if opts.concurrency:
        command += ["--concurrency", str(opts.concurrency)]
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def purge_queues() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in QUEUES:
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 - a queue that does not exist yet has nothing to purge
                pass


def _redis():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def run_noop(count: int, timeout: float, worker: subprocess.Popen) -> float:
    """Enqueue *count* no-op tasks; return the seconds until the worker has run them all."""
    from bench.tasks import noop

    client = _redis()
    key = f"bench:noop:{uuid.uuid4().hex}"
    started = time.perf_counter()
    for _ in range(count):
        noop.delay(key)
    deadline = started + timeout
    while int(client.get(key) or 0) < count:
        if time.perf_counter() > deadline or worker.poll() is not None:
            raise RuntimeError(f"no-op tasks: {int(client.get(key) or 0)} of {count} done before the timeout")
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    client.delete(key)
    return elapsed


def recipients(count: int):
    """Return the members to notify: active members with a phone, as many as there are, up to *count*."""
    from members.models import Member

    return list(Member.objects.active().exclude(phone="").order_by("pk")[:count])


class Preferences:
    """Give the recipients preferences without quiet hours; put back what was there afterwards."""

    def __init__(self, members):
        from members.models import NotificationPreference

        self.model = NotificationPreference
        ids = [m.pk for m in members]
        self.saved = {
            p.member_id: (p.pk, p.quiet_start, p.quiet_end)
            for p in NotificationPreference.objects.filter(member_id__in=ids)
        }
        self.ids = ids

    def apply(self) -> None:
        with transaction.atomic():
            self.model.objects.filter(member_id__in=self.ids).update(quiet_start=NO_QUIET, quiet_end=NO_QUIET)
            self.model.objects.bulk_create(
                [
                    self.model(member_id=pk, quiet_start=NO_QUIET, quiet_end=NO_QUIET)
                    for pk in self.ids
                    if pk not in self.saved
                ],
                batch_size=1000,
            )

    def restore(self) -> None:
        with transaction.atomic():
            self.model.objects.filter(member_id__in=self.ids).exclude(member_id__in=list(self.saved)).delete()
            for _member_id, (pk, start, end) in self.saved.items():
                if (start, end) != (NO_QUIET, NO_QUIET):
                    self.model.objects.filter(pk=pk).update(quiet_start=start, quiet_end=end)


def cleanup() -> int:
    from members.models import Notification

    deleted, _ = Notification.objects.filter(kind=KIND).delete()
    return deleted


def run_sweep(members, count: int, timeout: float, worker: subprocess.Popen) -> tuple[float, dict]:
    """Notify *count* recipients by SMS (several rounds when there are fewer members); time until all are logged."""
    from django.conf import settings

    from core.outbox import relay as relay_outbox
    from members.models import DeliveryLog, Notification
    from members.services.notifications import Message, notify_many

    token = uuid.uuid4().hex[:8]
    created = 0
    started_wall = timezone.now()
    started = time.perf_counter()
    rounds = 0
    while created < count:
        batch = members[: count - created]
        message = Message(
            kind=KIND, target=f"bench:{token}:{rounds}", period="now", title="学习提醒", body="明天的党课请准时参加。"
        )
        created += notify_many(lambda _m, message=message: message, batch, channels=("sms",), escalate=True)
        rounds += 1
        if rounds > count:
            raise RuntimeError("notify_many creates no SMS for these members (no phone, or preferences)")
    enqueued = time.perf_counter() - started
    ours = Notification.objects.filter(kind=KIND, dedup_key__contains=f":bench:{token}:")
    bounds = ours.aggregate(low=Min("pk"), high=Max("pk"))
    # By id range: the unique index on notification_id keeps the polling cheap.
    logs = DeliveryLog.objects.filter(notification_id__gte=bounds["low"], notification_id__lte=bounds["high"])
    deadline = started + timeout
    relayed = time.perf_counter()
    while (done := logs.count()) < count:
        if time.perf_counter() > deadline or worker.poll() is not None:
            states = dict(ours.values("status").annotate(n=Count("pk")).values_list("status", "n"))
            raise RuntimeError(f"sweep: {done} of {count} delivered before the timeout ({states})")
        # The kick after commit publishes at most outbox.BATCH rows (500 tasks, 100,000 SMS); in
        # production beat relays the rest every OUTBOX_RELAY_SECONDS, and the bench runs no beat.
        if time.perf_counter() - relayed >= settings.OUTBOX_RELAY_SECONDS:
            relay_outbox()
            relayed = time.perf_counter()
        time.sleep(0.25)
    finished = logs.aggregate(last=Max("delivered_at"))["last"]
    elapsed = (finished - started_wall).total_seconds()
    return elapsed, {"rounds": rounds, "enqueue_seconds": enqueued}


def sweep_scenario(opts) -> Row:
    row = Row("d", f"Reminder sweep, {opts.recipients:,} SMS through a worker ÷ no-op tasks")
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    members = recipients(opts.recipients)
    if not members:
        raise RuntimeError("No active member has a phone number: nobody to send an SMS to.")
    cleanup()
    preferences = Preferences(members)
    preferences.apply()
    purge_queues()
    log_path = opts.work_dir / "worker.log"
    worker = start_worker(opts, log_path)
    sweep_times, noop_times, extra = [], [], {}
    try:
        run_noop(50, 120, worker)  # warm up: the worker is ready and its processes forked
        for _ in range(opts.sweep_runs):
            noop_times.append(run_noop(opts.recipients, opts.sweep_timeout, worker))
            elapsed, extra = run_sweep(members, opts.recipients, opts.sweep_timeout, worker)
            sweep_times.append(elapsed)
            cleanup()
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} (worker log: {log_path})") from exc
    finally:
        stop_worker(worker)
        cleanup()
        preferences.restore()
        purge_queues()
    sweep_rate = opts.recipients / statistics.median(sweep_times)
    noop_rate = opts.recipients / statistics.median(noop_times)
    ratio = sweep_rate / noop_rate
    row.value = f"{sweep_rate:,.0f} SMS/s"
    row.floor = f"{noop_rate:,.0f} tasks/s"
    row.ratio = f"{ratio:.2f}"
    row.target = "≥ 0.5"
    row.met = ratio >= 0.5
    row.notes.append(
        f"Sweep: {opts.recipients:,} SMS in {statistics.median(sweep_times):.1f} s (median of {len(sweep_times)}; "
        f"notify_many and enqueueing {extra['enqueue_seconds']:.1f} s of it, {len(members):,} recipients "
        f"× {extra['rounds']} round(s)); no-op: {statistics.median(noop_times):.1f} s. "
        f"Worker concurrency {opts.concurrency or os.cpu_count()}."
    )
    return row
