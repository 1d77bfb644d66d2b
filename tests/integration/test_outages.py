"""Outages caused for real: Redis stopped or cut, PostgreSQL cut, the worker SIGKILLed mid-compile.

Each test runs its own Redis (or a TCP proxy that it cuts) so that the
shared services keep running; workers and beat are real processes with
short leases and sweep intervals, so that each test takes seconds.
"""

import datetime
import time

import pytest
import redis
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assessments.models import CheckupReport
from assessments.services.reports import report_request
from config.beat import LOCK_KEY
from core.models import Heartbeat, OutboxMessage
from members.models import DeliveryLog, Member, Notification
from members.tests.factories import MemberFactory
from tests.integration.conftest import database_url, publishing_to, wait_for
from tests.integration.tcpproxy import TcpProxy
from training.models import Attendance
from training.services.lessons import audience_sync
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.integration

# Seconds, not minutes: the relay and sweep every second, a 2 s lease, 3 s to start.
FAST = {
    "OUTBOX_RELAY_SECONDS": 1,
    "REPORT_SWEEP_SECONDS": 1,
    "REPORT_LEASE_SECONDS": 2,
    "REPORT_START_SECONDS": 3,
    "HEARTBEAT_SECONDS": 1,
    "OUTBOX_CLAIM_SECONDS": 5,
}


@pytest.fixture
def fast(settings):
    for name, value in FAST.items():
        setattr(settings, name, value)
    return FAST


@pytest.fixture
def broker(own_redis):
    """This test's own Redis as the broker of this process and of the workers and beats it starts.

    The shared Redis is shared with parallel test processes, whose workers
    would take this test's messages (and whose clean-up purges the queues).
    """
    with publishing_to(own_redis.url):
        yield {"CELERY_BROKER_URL": own_redis.url, **FAST}


@pytest.fixture
def redis_proxy(own_redis):
    proxy = TcpProxy("127.0.0.1", own_redis.port).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def broker_via_proxy(redis_proxy):
    """Like broker, through a proxy in front of the test's own Redis that the test cuts."""
    url = f"redis://127.0.0.1:{redis_proxy.port}/0"
    with publishing_to(url):
        yield {"CELERY_BROKER_URL": url, **FAST}


@pytest.fixture
def pg_proxy(db):
    from django.db import connection

    proxy = TcpProxy(connection.settings_dict["HOST"] or "127.0.0.1", int(connection.settings_dict["PORT"] or 5432))
    yield proxy.start()
    proxy.stop()


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def leader_member(leader):
    return MemberFactory(user=leader, full_name="局领导")


# --- 1. the broker is down: actions answer at once, their work is done once afterwards --------------


def test_actions_answer_within_a_second_with_the_broker_down_and_nothing_is_lost_or_sent_twice(
    broker_via_proxy, redis_proxy, worker_factory, beat_factory, client, branch_a, secretary, leader, fast
):
    Member.objects.filter(user=secretary).update(email="secretary@example.org")
    absentees = MemberFactory.create_batch(8, branch=branch_a)
    earlier = LessonFactory(organiser=branch_a, start=timezone.now() - datetime.timedelta(days=7), status="held")
    Attendance.objects.bulk_create([Attendance(lesson=earlier, member=m, status="absent") for m in absentees])
    start = timezone.now() - datetime.timedelta(hours=1)
    lessons = [LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=1)) for _ in "ab"]
    for lesson in lessons:
        audience_sync(lesson=lesson)
    leader_member(leader)

    client.force_login(secretary)
    assert client.get(reverse("home")).status_code == 200  # a warm process, as a web worker is
    answers = []
    month = timezone.localdate().strftime("%Y-%m")
    for blackhole, lesson in zip((True, False), lessons, strict=True):
        redis_proxy.cut(blackhole=blackhole)  # a hung broker, then a stopped one
        client.force_login(secretary)
        response, seconds = timed(
            lambda lesson=lesson: client.post(reverse("training:lesson_close", args=[lesson.pk]), {"confirm": "yes"})
        )
        answers.append((response.status_code, seconds))
        client.force_login(leader)
        response, seconds = timed(
            lambda bh=blackhole: client.post(
                reverse("reports:report_new"),
                {"period": "month", "month": month, "branch": "" if bh else branch_a.pk},
            )
        )
        answers.append((response.status_code, seconds))
    print("answers during the outage:", answers)
    assert all(status == 302 and seconds < 1 for status, seconds in answers), answers
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert waiting.exclude(task=settings.FIGURES_REFRESH_TASK).count() == 4  # two absence checks, two compiles
    assert waiting.filter(task=settings.FIGURES_REFRESH_TASK).count() == 2  # the figures of each closed lesson

    redis_proxy.restore()
    worker_factory(**broker_via_proxy).start(concurrency=2)
    beat_factory(**broker_via_proxy).start()

    def all_done():
        reports = set(CheckupReport.objects.values_list("status", flat=True))
        emails = Notification.objects.filter(kind="absence_warning", channel="email")
        announced = Notification.objects.filter(kind="report_ready").count() == 2  # one per report, one leader
        return reports == {"done"} and announced and emails.count() and not emails.exclude(status="sent").exists()

    assert wait_for(all_done, timeout=60, interval=0.5), list(CheckupReport.objects.values("status", "error"))
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    emails = list(Notification.objects.filter(kind="absence_warning", channel="email").values_list("pk", flat=True))
    logs = list(DeliveryLog.objects.filter(notification_id__in=emails).values_list("notification_id", flat=True))
    assert sorted(logs) == sorted(emails)  # each warning delivered, none twice
    in_app = Notification.objects.filter(kind="absence_warning", channel="in_app")
    assert in_app.count() == len(emails) == len(set(in_app.values_list("dedup_key", flat=True)))
    time.sleep(1.5)  # the relay and the sweep run on: still nothing twice
    assert Notification.objects.filter(kind="report_ready").count() == 2
    assert DeliveryLog.objects.filter(notification_id__in=emails).count() == len(emails)


# --- 2. beat survives Redis going away, and Redis coming back empty --------------------------------


def test_beat_rides_out_a_redis_restart_without_its_data_and_never_runs_twice(beat_factory, own_redis, fast):
    store = redis.Redis(port=own_redis.port, socket_connect_timeout=0.5)
    beat = beat_factory(CELERY_BROKER_URL=own_redis.url, **FAST).start()
    holder = wait_for(lambda: store.get(LOCK_KEY), timeout=30)
    assert holder and holder.decode().endswith(f":{beat.process.pid}")
    second = beat_factory(CELERY_BROKER_URL=own_redis.url, **FAST).start()
    assert second.process.wait(timeout=30) != 0  # the lock is taken: the second beat exits

    own_redis.stop()
    time.sleep(4)  # beat ticks every second meanwhile
    assert beat.alive(), "beat died with Redis"
    restarted = timezone.now()
    own_redis.start()  # empty: the lock key is gone
    store = redis.Redis(port=own_redis.port, socket_connect_timeout=0.5)
    assert wait_for(lambda: store.get(LOCK_KEY) == holder, timeout=20), store.get(LOCK_KEY)
    assert beat.alive()
    assert wait_for(lambda: Heartbeat.objects.filter(name="beat", at__gt=restarted).exists(), timeout=10)
    third = beat_factory(CELERY_BROKER_URL=own_redis.url, **FAST).start()
    assert third.process.wait(timeout=30) != 0  # still only one
    assert beat.alive()


# --- 3. PostgreSQL goes away and comes back: the worker's tasks succeed again ----------------------


def test_the_worker_reconnects_after_the_database_returns(broker, worker_factory, pg_proxy, branch_a, leader, fast):
    worker_factory(DATABASE_URL=database_url(pg_proxy.port), **broker).start()
    today = timezone.localdate()
    first = report_request(period="month", start=today.replace(day=1), actor=leader)
    done = lambda report: CheckupReport.objects.filter(pk=report.pk, status="done").exists()  # noqa: E731
    assert wait_for(lambda: done(first), timeout=60, interval=0.2)

    pg_proxy.cut()  # every connection of the worker dies
    time.sleep(1)
    pg_proxy.restore()
    reports = [report_request(period=p, start=today.replace(day=1), actor=leader) for p in ("quarter", "year")]
    assert wait_for(lambda: all(done(r) for r in reports), timeout=30, interval=0.2), list(
        CheckupReport.objects.values("period", "status", "error")
    )


def test_a_compile_cut_off_by_the_database_is_finished_after_it_returns(
    broker, worker_factory, beat_factory, pg_proxy, branch_a, leader, fast
):
    env = {"DATABASE_URL": database_url(pg_proxy.port), **broker}
    worker_factory(**env).start()
    beat_factory(**env).start()
    report = report_request(period="year", start=timezone.localdate(), actor=leader)
    assert wait_for(lambda: CheckupReport.objects.filter(pk=report.pk, status__in=["running", "done"]).exists())
    pg_proxy.cut()
    time.sleep(2)
    pg_proxy.restore()
    assert wait_for(lambda: CheckupReport.objects.filter(pk=report.pk, status="done").exists(), timeout=40), list(
        CheckupReport.objects.values("status", "error", "attempts")
    )


# --- 4. the worker is SIGKILLed at several moments of a compile: no report stays stuck --------------


@pytest.mark.parametrize("moment", ["never started", "just claimed", "mid-compile"])
def test_no_report_is_stuck_after_a_sigkill(
    broker, worker_factory, beat_factory, branch_a, leader, settings, fast, moment
):
    leader_member(leader)
    start = timezone.localdate().replace(day=1)
    if moment == "never started":
        # Its message was lost (say, with a Redis that restarted empty): only the sweep can find it.
        settings.OUTBOX_KICK = False
        report = report_request(period="month", start=start, actor=leader)
        OutboxMessage.objects.update(sent_at=timezone.now())
    else:
        doomed = worker_factory(**broker).start()
        report = report_request(period="month", start=start, actor=leader)
        assert wait_for(lambda: CheckupReport.objects.filter(pk=report.pk, status="running").exists(), interval=0.01)
        if moment == "mid-compile":
            time.sleep(0.3)
        doomed.kill()
        assert CheckupReport.objects.get(pk=report.pk).status == "running", "the kill came too late"
    worker_factory(**broker).start()
    beat_factory(**broker).start()
    announced = Notification.objects.filter(kind="report_ready")
    done = CheckupReport.objects.filter(pk=report.pk, status="done")
    assert wait_for(lambda: done.exists() and announced.exists(), timeout=40), list(
        CheckupReport.objects.values("status", "error", "attempts", "lease_until")
    )
    time.sleep(1.5)  # the sweep and any redelivery run on
    assert announced.count() == 1 and done.exists()  # compiled again, announced once
    assert CheckupReport.objects.count() == 1


# --- 5. the database is down: signed-in pages answer the Chinese 503 page; login, static and /healthz stay up


def test_pages_answer_503_in_chinese_while_the_database_is_down(transactional_db, pg_proxy, tmp_path, client, member):
    import json
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from tests.integration.conftest import free_port, process_env

    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "30"],
        env=process_env(DATABASE_URL=database_url(pg_proxy.port), DB_CONNECT_TIMEOUT=2),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client.force_login(member)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    def get(path, *, signed_in=True):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie} if signed_in else {}
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        except OSError:
            return None, "", 0.0
        return status, body, time.monotonic() - started

    try:
        assert wait_for(lambda: get("/healthz", signed_in=False)[0] == 200, timeout=30), log.name
        assert get("/")[0] == 200
        pg_proxy.cut()
        status, body, seconds = get("/")
        assert status == 503 and seconds < 3, (status, seconds)
        assert "系统暂时无法访问" in body and "请稍后再试" in body and 'class="navbar' in body
        assert "Server Error" not in body
        assert get("/lessons/")[0] == 503
        status, body, _seconds = get("/healthz", signed_in=False)
        assert status == 503 and json.loads(body)["database"]["ok"] is False
        assert get("/accounts/login/", signed_in=False)[0] == 200
        assert get("/static/css/app.css", signed_in=False)[0] == 200
        pg_proxy.restore()
        assert wait_for(lambda: get("/")[0] == 200, timeout=15)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
