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
