"""Reminders and delivery through a real worker process on real Redis and PostgreSQL."""

import datetime
import time

import pytest
from django.utils import timezone

from members.models import DeliveryLog, Member, Notification, NotificationPreference
from members.services.notifications import Message, notify_many, requeue_stale
from members.tasks import deliver_notification, requeue_notifications
from members.tests.factories import MemberFactory
from tests.integration.conftest import wait_for
from tests.integration.smssink import SmsSink
from training.services.lessons import audience_sync
from training.tasks import send_lesson_reminders
from training.tests.factories import LessonFactory

pytestmark = pytest.mark.integration


def test_lesson_reminder_reaches_inbox_and_phone_through_the_worker(worker_factory, branch_a, member):
    me = Member.objects.get(user=member)
    NotificationPreference.objects.create(
        member=me, sms=True, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(0, 0)
    )
    start = timezone.now() + datetime.timedelta(minutes=30)
    lesson = LessonFactory(organiser=branch_a, start=start, end=start + datetime.timedelta(hours=1))
    audience_sync(lesson=lesson)
    worker_factory().start()
    send_lesson_reminders.delay()
    delivered = wait_for(lambda: DeliveryLog.objects.filter(notification__recipient=me, channel="sms").first())
    assert delivered is not None, "the worker did not deliver the SMS"
    inbox = Notification.objects.get(recipient=me, channel="in_app", kind="lesson_reminder")
    assert inbox.status == "sent" and inbox.dedup_key.endswith(":1h:in_app")
    assert Notification.objects.get(pk=delivered.notification_id).status == "sent"


def test_killed_worker_loses_and_repeats_nothing(worker_factory, branch_a, settings):
    """500 SMS; the worker is SIGKILLed mid-batch and restarted: each is delivered exactly once."""
    settings.NOTIFICATION_SENDING_TIMEOUT = 2
    members = MemberFactory.create_batch(500, branch=branch_a)
    # No quiet hours, so that every SMS is due now whatever the time of the run.
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(member=m, sms=True, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(0, 0))
            for m in members
        ]
    )
    message = Message(kind="fault_test", target="batch:1", period="once", title="测试", body="故障注入")
    created = notify_many(lambda _m: message, members, channels=("sms",), escalate=True)
    assert created == 500
    ids = set(Notification.objects.filter(kind="fault_test").values_list("pk", flat=True))

    first = worker_factory(NOTIFICATION_SENDING_TIMEOUT="2").start(concurrency=2)
    reached = wait_for(lambda: DeliveryLog.objects.filter(notification_id__in=ids).count() >= 40, interval=0.02)
    assert reached
    first.kill()
    done_at_kill = DeliveryLog.objects.filter(notification_id__in=ids).count()
    print("delivered when killed:", done_at_kill)
    assert 0 < done_at_kill < 500, "the kill must land in the middle of the batch"

    worker_factory(NOTIFICATION_SENDING_TIMEOUT="2").start(concurrency=2)

    def everything_delivered():
        # What the beat's requeue sweep does every minute, run here every second.
        for pk in requeue_stale():
            deliver_notification.delay(pk)
        return DeliveryLog.objects.filter(notification_id__in=ids).count() >= 500

    assert wait_for(everything_delivered, timeout=120, interval=1)
    logs = list(DeliveryLog.objects.filter(notification_id__in=ids).values_list("notification_id", flat=True))
    assert len(logs) == 500 and len(set(logs)) == 500
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}


@pytest.fixture
def sms_sink():
    sink = SmsSink().start()
    yield sink
    sink.stop()


def test_killed_worker_mid_batch_loses_and_repeats_nothing(worker_factory, branch_a, settings, sms_sink):
    """5,000 SMS in batches to an HTTP gateway; SIGKILL mid-batch, restart: each reaches a phone once."""
    total = 5000
    settings.NOTIFICATION_SENDING_TIMEOUT = 2
    settings.NOTIFICATION_BATCH_SIZE = 200
    # Built in bulk: five thousand factory calls would take longer than the deliveries.
    members = Member.objects.bulk_create(MemberFactory.build_batch(total, branch=branch_a), batch_size=1000)
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(member=m, sms=True, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(0, 0))
            for m in members
        ],
        batch_size=1000,
    )
    message = Message(kind="fault_batch", target="batch:2", period="once", title="测试", body="批量故障注入")
    assert notify_many(lambda _m: message, members, channels=("sms",), escalate=True) == total
    rows = Notification.objects.filter(kind="fault_batch")
    logs = DeliveryLog.objects.filter(notification__kind="fault_batch")
    env = {"NOTIFICATION_SENDING_TIMEOUT": "2", **sms_sink.worker_env()}

    first = worker_factory(**env).start(concurrency=2)
    # Kill while a batch has reached the gateway but not yet the delivery log.
    in_flight = wait_for(lambda: logs.count() >= 400 and len(sms_sink.keys()) > logs.count(), interval=0.01)
    assert in_flight, "no batch was caught between sending and logging"
    first.kill()
    time.sleep(0.5)  # let the sink finish the requests the dead worker had open
    logged_at_kill = logs.count()
    sending = set(rows.filter(status="sending").values_list("dedup_key", flat=True))
    sent_unlogged = sending & sms_sink.keys()
    print(f"killed: {logged_at_kill} logged, {len(sending)} claimed, {len(sent_unlogged)} sent but not logged")
    assert 0 < logged_at_kill < total, "the kill must land in the middle of the run"
    assert sending, "the kill must land in the middle of a batch"

    worker_factory(**env).start(concurrency=2)

    def everything_delivered():
        requeue_notifications()  # the beat's minute sweep, run here every second
        return logs.count() >= total

    assert wait_for(everything_delivered, timeout=180, interval=1)
    logged = list(logs.values_list("notification_id", flat=True))
    assert len(logged) == total and len(set(logged)) == total
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    # Every phone got its SMS once; the rows that had gone out but were not
    # logged went out again after the window, and the gateway dropped them by key.
    assert sms_sink.keys() == set(rows.values_list("dedup_key", flat=True))
    assert sms_sink.repeats == len(sent_unlogged)
    assert set(logs.values_list("reference", flat=True)) <= {f"sink-{n}" for n in range(1, total + 1)}


def test_checkup_report_compiles_through_the_worker(worker_factory, branch_a, member, leader, tmp_path):
    """A leader asks for a report; a real worker compiles the PDF and XLSX and the archive shows it done."""
    import io
    import subprocess

    from openpyxl import load_workbook

    from assessments.models import CheckupReport
    from assessments.services.reports import report_request

    worker_factory().start()
    today = timezone.localdate()
    report = report_request(period="month", start=today.replace(day=1), branch=None, actor=leader)
    done = wait_for(
        lambda: CheckupReport.objects.filter(pk=report.pk, status__in=["done", "failed"]).first(),
        timeout=120,
        interval=0.5,
    )
    assert done is not None and done.status == "done", done and done.error
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(done.pdf.read())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "督查报告" in text and branch_a.name in text
    sheets = load_workbook(io.BytesIO(done.xlsx.read())).sheetnames
    assert len(sheets) >= 5
