"""The outbox: background work is a row written with the change, published once the broker takes it."""

import socket

import pytest
from django.db import transaction
from kombu import Connection

from core.background import enqueue_many_on_commit, enqueue_on_commit
from core.models import OutboxMessage
from core.outbox import purge_sent, relay

pytestmark = pytest.mark.django_db


def drain(connection, queue: str) -> list[tuple[str, str]]:
    """(task name, args) of every message waiting in *queue* of an in-memory broker, taking them off."""
    channel, found = connection.default_channel, []
    while (message := channel.basic_get(queue)) is not None:
        found.append((message.headers["task"], message.headers["argsrepr"]))
        message.ack()
    return found


@pytest.fixture
def memory_broker():
    connection = Connection("memory://")
    for queue in ("default", "reminders", "reports"):
        if _declared(connection, queue):
            drain(connection, queue)
    yield connection
    connection.release()


def _declared(connection, queue):
    try:
        connection.default_channel.queue_declare(queue=queue, passive=True)
    except Exception:
        return False
    return True


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_work_is_recorded_with_the_transaction_and_not_on_rollback():
    with transaction.atomic():
        enqueue_on_commit("training.tasks.send_absence_warnings", 7)
        transaction.set_rollback(True)
    assert not OutboxMessage.objects.exists()
    with transaction.atomic():
        enqueue_on_commit("training.tasks.send_absence_warnings", 7)
        enqueue_many_on_commit("members.tasks.deliver_notification", [(1,), (2,)])
    rows = list(OutboxMessage.objects.values_list("task", "args", "sent_at"))
    assert rows == [
        ("training.tasks.send_absence_warnings", [7], None),
        ("members.tasks.deliver_notification", [1], None),
        ("members.tasks.deliver_notification", [2], None),
    ]


def test_the_relay_publishes_each_row_once_to_its_queue(memory_broker):
    enqueue_on_commit("assessments.tasks.compile_checkup_report", 5)
    enqueue_on_commit("members.tasks.deliver_notification", 9)
    assert relay(connection=memory_broker) == {"sent": 2, "pending": 0, "error": ""}
    assert relay(connection=memory_broker) == {"sent": 0, "pending": 0, "error": ""}
    assert drain(memory_broker, "reports") == [("assessments.tasks.compile_checkup_report", "[5]")]
    assert drain(memory_broker, "reminders") == [("members.tasks.deliver_notification", "[9]")]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_row_the_broker_did_not_take_stays_pending_and_goes_later(memory_broker):
    enqueue_on_commit("training.tasks.send_absence_warnings", 3)
    down = Connection(
        f"redis://127.0.0.1:{closed_port()}/0",
        connect_timeout=0.2,
        transport_options={"max_retries": 0, "socket_connect_timeout": 0.2},
    )
    result = relay(connection=down)
    assert (result["sent"], result["pending"]) == (0, 1) and result["error"]
    row = OutboxMessage.objects.get()
    assert row.sent_at is None and row.claimed_until is None and row.attempts == 1 and row.last_error
    assert relay(connection=memory_broker)["sent"] == 1
    assert drain(memory_broker, "reminders") == [("training.tasks.send_absence_warnings", "[3]")]


def test_a_row_claimed_by_another_publisher_is_not_published_again(memory_broker):
    from core.outbox import _claim

    enqueue_on_commit("training.tasks.send_absence_warnings", 4)
    assert [row.args for row in _claim()] == [[4]]  # the kick has it, and has not settled it yet
    assert relay(connection=memory_broker) == {"sent": 0, "pending": 1, "error": ""}
    assert drain(memory_broker, "reminders") == []


def test_the_kick_does_nothing_when_turned_off_and_the_rows_wait(settings):
    from core.outbox import kick

    settings.OUTBOX_KICK = False
    enqueue_on_commit("training.tasks.send_absence_warnings", 4)
    assert kick(list(OutboxMessage.objects.values_list("pk", flat=True))) == 0
    assert OutboxMessage.objects.get().sent_at is None


def test_sent_rows_are_purged_after_the_keeping_days(settings):
    import datetime

    from django.utils import timezone

    enqueue_on_commit("training.tasks.send_absence_warnings", 1)
    enqueue_on_commit("training.tasks.send_absence_warnings", 2)
    enqueue_on_commit("training.tasks.send_absence_warnings", 3)
    old = timezone.now() - datetime.timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)
    first, second, _third = OutboxMessage.objects.order_by("pk")
    OutboxMessage.objects.filter(pk=first.pk).update(sent_at=old)
    OutboxMessage.objects.filter(pk=second.pk).update(sent_at=timezone.now())
    assert purge_sent() == 1
    assert sorted(OutboxMessage.objects.values_list("args", flat=True)) == [[2], [3]]
