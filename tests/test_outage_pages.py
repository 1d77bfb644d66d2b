"""The 503 page for outages, /healthz as JSON and the staff status page."""

import datetime

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from assessments.models import CheckupReport
from core.background import enqueue_on_commit
from core.heartbeats import heartbeat
from core.outage import OutageMiddleware, server_error_or_outage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_a_database_error_in_a_view_answers_the_chinese_503_page_in_the_site_layout(error):
    request = RequestFactory().get("/lessons/")
    response = OutageMiddleware(lambda r: None).process_exception(request, error)
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "系统暂时无法访问" in html and "请稍后再试" in html
    assert 'class="navbar' in html and "bootstrap.min.css" in html  # the site layout
    assert OutageMiddleware(lambda r: None).process_exception(request, ValueError("a bug")) is None


def test_an_outage_raised_outside_the_view_also_answers_503():
    request = RequestFactory().get("/")
    try:
        raise OperationalError("could not connect to server")
    except OperationalError:
        response = server_error_or_outage(request)
    assert response.status_code == 503 and "系统暂时无法访问" in response.content.decode()
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error_or_outage(request).status_code == 500


def test_healthz_reports_every_part_as_json(client, settings):
    now = timezone.now()
    heartbeat("worker", now=now - datetime.timedelta(seconds=5))
    heartbeat("beat", now=now - datetime.timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 5))
    enqueue_on_commit("training.tasks.send_absence_warnings", 1)
    CheckupReport.objects.create(
        period="month",
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 3, 31),
        status="running",
        lease_until=now - datetime.timedelta(seconds=1),
    )
    response = client.get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 200
    assert body["database"]["ok"] is True and body["broker"]["ok"] is True
    assert set(body["queues"]) == {"default", "reminders", "reports"}
    assert body["worker"]["alive"] is True and body["beat"]["alive"] is False
    assert body["outbox"]["pending"] == 1 and body["outbox"]["oldest_pending_at"] is not None
    assert body["jobs_past_lease"] == 1
    assert body["notifications"] == {"pending": 0, "oldest_pending_at": None, "oldest_age_seconds": None}
    assert body["reconciliation"] is None
    assert body["status"] == "degraded"  # beat not seen, a job past its lease


def test_healthz_says_the_broker_is_down_quickly(client, settings):
    import socket
    import time

    from config.celery import app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # CELERY_BROKER_URL in the environment wins over broker_url; the write URL is what publishers use.
    app.conf.broker_write_url = f"redis://127.0.0.1:{port}/0"
    try:
        started = time.monotonic()
        response = client.get(reverse("healthz"))
        elapsed = time.monotonic() - started
    finally:
        app.conf.broker_write_url = None
    body = response.json()
    assert response.status_code == 503 and elapsed < 1
    assert body["broker"]["ok"] is False and body["queues"] is None and body["database"]["ok"] is True


def test_status_page_shows_the_same_picture_to_staff(client, admin_user):
    heartbeat("reconciliation", {"result": "ok: 0 differences"})
    client.force_login(admin_user)
    html = client.get(reverse("status")).content.decode()
    assert 'data-check="database"' in html and 'data-check="outbox"' in html
    assert "系统状态" in html and "可连接" in html and "ok: 0 differences" in html
    assert 'id="status-overall" data-status="degraded"' in html  # no worker heartbeat yet
    assert 'hx-trigger="every 10s"' in html  # the page refreshes itself
