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
    lock._redis = redis.Redis(port=port, socket_connect_timeout=0.2, socket_timeout=0.2)
    with pytest.raises(redis.exceptions.ConnectionError):
        lock.refresh()
    assert lock.still_ours() is True  # no other beat can have taken it yet
    lock.confirmed_at = time.monotonic() - LOCK_TTL - 1
    assert lock.still_ours() is False  # now one could have: this beat pauses
    lock.release()  # does not raise with Redis down
    store.delete(LOCK_KEY)
