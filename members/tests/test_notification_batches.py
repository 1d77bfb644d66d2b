"""Batched delivery: one claim, one log insert and a flat query count per batch, still exactly once."""

import datetime
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.models import OutboxMessage
from members.models import DeliveryLog, Member, Notification, NotificationPreference
from members.services.notifications import Message, claim_batch, deliver_batch, notify_many, requeue_stale
from members.tasks import deliver_notifications, requeue_notifications
from members.tests.factories import MemberFactory
from members.tests.test_notifications import gateway  # noqa: F401 - the HTTP gateway fixture

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIDNIGHT = datetime.time(0, 0)


def at(day, hour, minute=0):
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def people(branch, n, *, quiet=(MIDNIGHT, MIDNIGHT)):
    members = Member.objects.bulk_create(MemberFactory.build_batch(n, branch=branch))
    if quiet is not None:
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(member=m, sms=True, quiet_start=quiet[0], quiet_end=quiet[1]) for m in members]
        )
    return members


def pending(members, *, channel="sms", send_after=None, tag="t"):
    """Due, unclaimed notifications for *members*, as notify_many leaves them; return their ids in order."""
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=m,
                channel=channel,
                kind="batch_test",
                title="学习提醒",
                body="明天上午九点上党课。",
                dedup_key=f"batch_test:{tag}:{m.pk}:{channel}",
                send_after=send_after or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
            )
            for m in members
        ]
    )
    return sorted(row.pk for row in rows)


# --- the claim -------------------------------------------------------------------


def test_a_batch_claim_takes_only_due_pending_rows_once(branch_a):
    members = people(branch_a, 4)
    ids = pending(members[:3])
    later = pending(members[3:], send_after=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC))
    assert claim_batch(ids + later) == ids
    assert claim_batch(ids + later) == []
    claimed = Notification.objects.filter(pk__in=ids)
    assert set(claimed.values_list("status", "attempts")) == {("sending", 1)}
    assert Notification.objects.get(pk=later[0]).status == "pending"


@pytest.mark.django_db(transaction=True)
def test_a_second_claimer_skips_rows_another_holds_without_waiting(branch_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    ids = pending(people(branch_a, 30))
    holding, release, first = threading.Event(), threading.Event(), []

    def hold_the_first_twenty():
        try:
            with transaction.atomic():
                first.extend(claim_batch(ids[:20]))
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_the_first_twenty)
    thread.start()
    assert holding.wait(10)
    started = time.monotonic()
    second = claim_batch(ids)  # the first claim is not committed yet
    waited = time.monotonic() - started
    release.set()
    thread.join()
    assert first == ids[:20]
    assert second == ids[20:]
    assert waited < 5, "the second claimer waited for the first one's locks"
    assert claim_batch(ids) == []


@pytest.mark.django_db(transaction=True)
def test_two_claimers_racing_for_the_same_rows_split_them(branch_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    ids = pending(people(branch_a, 400))
    start = threading.Barrier(2)
    results = [[], []]

    def claimer(n):
        try:
            start.wait(10)
            for chunk in (ids[:200], ids[200:], ids):  # overlapping batches, as two sweeps would send
                results[n].extend(claim_batch(chunk))
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(results[0]) & set(results[1])
    assert sorted(results[0] + results[1]) == ids
    assert set(Notification.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


# --- delivery ----------------------------------------------------------------------


def test_a_batch_is_logged_with_one_insert_and_a_flat_query_count(branch_a):
    small = pending(people(branch_a, 5), tag="small")
    large = pending(people(branch_a, 60), tag="large")
    counts = []
    for ids in (small, large):
        with CaptureQueriesContext(connection) as queries:
            outcomes = deliver_batch(ids)
        assert set(outcomes.values()) == {"sent"}
        inserts = [q["sql"] for q in queries.captured_queries if 'INTO "members_deliverylog"' in q["sql"]]
        assert len(inserts) == 1
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
    assert DeliveryLog.objects.filter(notification_id__in=small + large).count() == 65
    rows = Notification.objects.filter(pk__in=large)
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    assert not rows.filter(sent_at__isnull=True).exists()
    log = DeliveryLog.objects.get(notification_id=large[0])
    assert log.channel == "sms" and log.reference == f"log:{rows.get(pk=large[0]).dedup_key}"


def test_quiet_hours_are_checked_again_at_delivery(branch_a, time_machine):
    # Queued in the afternoon, delivered late in the evening (say, after an outage).
    open_all_day = people(branch_a, 2)
    default_hours = people(branch_a, 1, quiet=None)  # no preference: 21:00–08:00
    own_hours = people(branch_a, 1, quiet=(datetime.time(12, 0), datetime.time(14, 0)))
    ids = pending(open_all_day + default_hours + own_hours, send_after=at(10, 16))
    time_machine.move_to(at(10, 22, 30), tick=False)
    outcomes = deliver_batch(ids)
    held = Notification.objects.get(recipient=default_hours[0])
    assert outcomes == {**dict.fromkeys(ids, "sent"), held.pk: "deferred"}
    assert held.status == "pending" and held.send_after == at(11, 8)
    assert held.attempts == 0  # a deferral is not an attempt
    assert not DeliveryLog.objects.filter(notification=held).exists()
    assert requeue_stale() == []  # not before the morning
    time_machine.move_to(at(11, 8), tick=False)
    assert requeue_stale() == [held.pk]
    assert deliver_batch([held.pk]) == {held.pk: "sent"}


def test_emails_of_a_batch_carry_their_dedup_keys(branch_a):
    members = people(branch_a, 3)
    for n, m in enumerate(members):
        m.email = f"dangyuan{n}@example.cn"
    Member.objects.bulk_update(members, ["email"])
    ids = pending(members, channel="email")
    assert set(deliver_batch(ids).values()) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "dangyuan0@example.cn",
        "dangyuan1@example.cn",
        "dangyuan2@example.cn",
    ]
    keys = {m.extra_headers["X-Dedup-Key"] for m in mail.outbox}
    assert keys == set(Notification.objects.filter(pk__in=ids).values_list("dedup_key", flat=True))


def test_a_gateway_error_stops_the_batch_and_releases_the_rest(gateway, branch_a, time_machine):  # noqa: F811
    time_machine.move_to(at(10, 10), tick=False)
    gateway.status, gateway.reply = 503, b'{"error": "busy"}'
    ids = pending(people(branch_a, 3))
    assert deliver_batch(ids) == dict.fromkeys(ids, "retry")
    assert len(gateway.received) == 1  # one timeout per batch, not one per message
    rows = {row.pk: row for row in Notification.objects.filter(pk__in=ids)}
    assert [rows[pk].attempts for pk in ids] == [1, 0, 0]
    assert {(r.status, r.send_after, r.last_error) for r in rows.values()} == {
        ("pending", at(10, 10, 0) + datetime.timedelta(seconds=30), "gateway error: HTTP 503")
    }
    assert not DeliveryLog.objects.filter(notification_id__in=ids).exists()


def test_a_refused_message_fails_alone(gateway, branch_a):  # noqa: F811
    gateway.status, gateway.reply = 400, b'{"error": "bad number"}'
    ids = pending(people(branch_a, 3))
    assert deliver_batch(ids) == dict.fromkeys(ids, "failed")
    assert len(gateway.received) == 3
    assert set(Notification.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"failed"}


def test_a_batch_left_in_sending_is_claimed_again_after_the_window(branch_a, settings, time_machine):
    settings.NOTIFICATION_SENDING_TIMEOUT = 15 * 60
    time_machine.move_to(at(10, 10), tick=False)
    ids = pending(people(branch_a, 4))
    assert claim_batch(ids) == ids  # ... and the worker dies here
    time_machine.move_to(at(10, 10, 14), tick=False)
    assert requeue_stale() == []
    assert set(deliver_batch(ids).values()) == {"skipped"}
    time_machine.move_to(at(10, 10, 16), tick=False)
    assert requeue_stale() == ids
    assert set(deliver_batch(ids).values()) == {"sent"}
    assert set(deliver_batch(ids).values()) == {"skipped"}
    assert DeliveryLog.objects.filter(notification_id__in=ids).count() == 4
    assert set(Notification.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {2}


def test_the_batch_task_is_safe_to_run_twice(branch_a):
    ids = pending(people(branch_a, 3))
    assert deliver_notifications.apply(args=[ids]).get() == {"sent": 3}
    assert deliver_notifications.apply(args=[ids]).get() == {"skipped": 3}
    assert DeliveryLog.objects.filter(notification_id__in=ids).count() == 3


# --- queueing in batches -------------------------------------------------------------------


def test_notify_many_queues_one_task_per_batch(branch_a, settings):
    settings.NOTIFICATION_BATCH_SIZE = 2
    members = people(branch_a, 5)
    message = Message(kind="batch_test", target="t", period="now", title="学习提醒", body="请准时参加。")
    assert notify_many(lambda _m: message, members, channels=("sms",)) == 5
    ids = sorted(Notification.objects.filter(kind="batch_test").values_list("pk", flat=True))
    queued = OutboxMessage.objects.filter(task="members.tasks.deliver_notifications").order_by("pk")
    assert [row.args for row in queued] == [[ids[0:2]], [ids[2:4]], [ids[4:5]]]


def test_the_minute_sweep_queues_due_rows_in_batches(branch_a, settings, monkeypatch):
    settings.NOTIFICATION_BATCH_SIZE = 2
    ids = pending(people(branch_a, 5))
    sent = []
    monkeypatch.setattr(deliver_notifications, "delay", sent.append)
    assert requeue_notifications() == 5
    assert sent == [ids[0:2], ids[2:4], ids[4:5]]
