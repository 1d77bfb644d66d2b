"""Under CI the tests must talk to real PostgreSQL and real Redis."""

import os

import pytest
from django.db import connection

from config.celery import app

IN_CI = os.environ.get("CI") == "true"


@pytest.mark.django_db
def test_database_is_postgresql_in_ci():
    if not IN_CI and not os.environ.get("DATABASE_URL"):
        pytest.skip("SQLite run: DATABASE_URL is not set")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_broker_is_reachable():
    if not IN_CI and not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("embedded default: no broker server to reach")
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=2)
        assert conn.transport.driver_type == "redis"
        client = conn.default_channel.client
        assert client.ping() is True
