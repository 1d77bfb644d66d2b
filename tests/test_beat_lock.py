"""Only one beat may ever run: the second one to start finds the lock taken."""

import os

import pytest

from config.beat import BeatLock


def test_file_lock_admits_one_beat(tmp_path):
    first, second = BeatLock("filesystem://", tmp_path), BeatLock("filesystem://", tmp_path)
    assert first.acquire() is True
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()


def test_redis_lock_admits_one_beat_and_notices_a_takeover(tmp_path):
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide Redis")
        pytest.skip("no Redis broker configured")
    import redis

    from config.beat import LOCK_KEY

    redis.Redis.from_url(url).delete(LOCK_KEY)
    first, second = BeatLock(url, tmp_path), BeatLock(url, tmp_path)
    first.token, second.token = "host:1", "host:2"
    assert first.acquire() is True
    assert second.acquire() is False
    assert first.refresh() is True
    redis.Redis.from_url(url).set(LOCK_KEY, "host:3")
    assert first.refresh() is False
    first.release()
    redis.Redis.from_url(url).delete(LOCK_KEY)


def test_redis_lock_is_taken_back_after_redis_lost_it_and_an_outage_is_ridden_out(tmp_path):
    import socket
    import time

    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide Redis")
        pytest.skip("no Redis broker configured")
    import redis

    from config.beat import LOCK_KEY, LOCK_TTL

    store = redis.Redis.from_url(url)
    store.delete(LOCK_KEY)
    lock = BeatLock(url, tmp_path)
    lock.token = "host:1"
    assert lock.acquire() is True
    store.delete(LOCK_KEY)  # Redis restarted without its data
    assert lock.refresh() is True
    assert store.get(LOCK_KEY) == b"host:1" and 0 < store.ttl(LOCK_KEY) <= LOCK_TTL

    with socket.socket() as sock:  # now the lock store stops answering
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    lock._redis = redis.Redis(port=port, socket_connect_timeout=0.2, socket_timeout=0.2, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.exceptions.ConnectionError):
        lock.refresh()
    assert lock.still_ours() is True  # no other beat can have taken it yet
    lock.confirmed_at = time.monotonic() - LOCK_TTL - 1
    assert lock.still_ours() is False  # now one could have: this beat pauses
    lock.release()  # does not raise with Redis down
    store.delete(LOCK_KEY)


def test_a_due_entry_the_broker_refuses_waits_in_the_outbox(transactional_db, tmp_path):
    import socket

    from celery.beat import ScheduleEntry
    from celery.schedules import crontab
    from kombu import Connection

    from config.beat import SingleBeatScheduler
    from config.celery import app
    from core.models import OutboxMessage

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = Connection(f"redis://127.0.0.1:{port}/0", transport_options={"max_retries": 0})
    scheduler = SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    digest = ScheduleEntry(name="secretary-digest", task="assessments.tasks.send_secretary_digest", app=app)
    digest.schedule = crontab(minute=0, hour=8)
    relay = ScheduleEntry(
        name="relay-outbox", task="core.tasks.relay_outbox", app=app, schedule=5.0, options={"expires": 5}
    )
    with down.Producer() as producer:
        scheduler.apply_entry(digest, producer=producer)
        scheduler.apply_entry(relay, producer=producer)  # runs again in seconds: not kept
    assert list(OutboxMessage.objects.values_list("task", "args")) == [("assessments.tasks.send_secretary_digest", [])]
