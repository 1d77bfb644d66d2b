"""Notifications: dedup, quiet hours, claim-send-log, email, the SMS gateway, preferences and the inbox."""

import datetime
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from core.models import AuditEntry
from members.context_processors import party_roles
from members.models import DeliveryLog, Member, Notification, NotificationPreference
from members.permissions import roles_for
from members.services.notifications import Message, claim, deliver, notify, requeue_stale
from members.tasks import deliver_notification

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour, minute=0, second=0):
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def message(n=1, **kwargs):
    values = {
        "kind": "lesson_reminder",
        "target": f"lesson:{n}",
        "period": "24h",
        "title": "学习提醒：党课《党章》学习",
        "body": "明天上午九点在局机关党员活动室上党课，请准时参加。",
        "url": f"/training/{n}/",
    }
    return Message(**{**values, **kwargs})


@pytest.fixture
def zhang(member):
    """The member persona's record (张三), with an email address."""
    record = Member.objects.get(user=member)
    record.email = "zhangsan@example.cn"
    record.save()
    return record


@pytest.fixture
def sms_on(zhang):
    return NotificationPreference.objects.create(member=zhang, sms=True)


def sms_row(member):
    return Notification.objects.get(recipient=member, channel="sms")


# --- creating notifications ------------------------------------------------


def test_notifying_the_same_message_twice_creates_nothing_new(zhang):
    assert notify(zhang, message()) == 2  # in-app and email
    assert notify(zhang, message()) == 0
    assert Notification.objects.filter(recipient=zhang).count() == 2
    assert DeliveryLog.objects.filter(notification__recipient=zhang).count() == 1  # the in-app one


def test_a_new_period_is_a_new_notification(zhang):
    notify(zhang, message(period="24h"), channels=("in_app",))
    assert notify(zhang, message(period="1h"), channels=("in_app",)) == 1


def test_a_rolled_back_transaction_enqueues_nothing(zhang, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            assert notify(zhang, message()) == 2
            transaction.set_rollback(True)
    assert callbacks == []
    assert Notification.objects.count() == 0


def test_a_committed_email_is_enqueued_once_on_commit(zhang, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify(zhang, message())
        notify(zhang, message())
    assert len(callbacks) == 1


def test_sms_off_creates_no_sms_row(zhang):
    notify(zhang, message(), channels=("in_app", "email", "sms"))
    NotificationPreference.objects.create(member=zhang, sms=False, email=False)
    notify(zhang, message(2), channels=("in_app", "email", "sms"))
    channels = sorted(Notification.objects.filter(recipient=zhang).values_list("channel", flat=True))
    # No preference: SMS is off by default; then email is switched off too.
    assert channels == ["email", "in_app", "in_app"]


def test_sms_on_creates_an_sms_row(sms_on, zhang):
    notify(zhang, message(), channels=("in_app", "sms"))
    assert sms_row(zhang).status == Notification.Status.PENDING


# --- quiet hours -----------------------------------------------------------


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (at(2026, 3, 10, 22, 30), at(2026, 3, 11, 8, 0)),
        (at(2026, 3, 10, 7, 0), at(2026, 3, 10, 8, 0)),
        (at(2026, 3, 10, 12, 0), at(2026, 3, 10, 12, 0)),
        (at(2026, 3, 10, 21, 0), at(2026, 3, 11, 8, 0)),
        (at(2026, 3, 10, 8, 0), at(2026, 3, 10, 8, 0)),
    ],
)
def test_quiet_hours_defer_an_sms_to_the_morning(sms_on, zhang, time_machine, created, expected):
    time_machine.move_to(created, tick=False)
    notify(zhang, message(), channels=("in_app", "sms"))
    assert sms_row(zhang).send_after == expected
    # The inbox copy is never held back.
    assert Notification.objects.get(recipient=zhang, channel="in_app").send_after == created


def test_a_deferred_sms_is_skipped_before_the_morning_and_sent_after(sms_on, zhang, time_machine):
    time_machine.move_to(at(2026, 3, 10, 22, 30), tick=False)
    notify(zhang, message(), channels=("in_app", "sms"))
    pk = sms_row(zhang).pk
    time_machine.move_to(at(2026, 3, 11, 7, 59), tick=False)
    assert requeue_stale() == []
    assert deliver(pk) == "skipped"
    assert sms_row(zhang).attempts == 0
    time_machine.move_to(at(2026, 3, 11, 8, 0), tick=False)
    assert requeue_stale() == [pk]  # deferred, never dropped
    assert deliver(pk) == "sent"
    row = sms_row(zhang)
    assert row.status == Notification.Status.SENT and row.sent_at == at(2026, 3, 11, 8, 0)
    assert row.delivery.reference == f"log:{row.dedup_key}"


def test_a_member_chooses_their_own_quiet_hours(zhang, time_machine):
    NotificationPreference.objects.create(
        member=zhang, sms=True, quiet_start=datetime.time(12, 0), quiet_end=datetime.time(14, 0)
    )
    time_machine.move_to(at(2026, 3, 10, 12, 30), tick=False)
    notify(zhang, message(), channels=("sms",))
    assert sms_row(zhang).send_after == at(2026, 3, 10, 14, 0)


# --- claim, deliver, requeue -----------------------------------------------


def test_claim_is_exclusive(zhang):
    notify(zhang, message())
    pk = Notification.objects.get(recipient=zhang, channel="email").pk
    assert claim(pk) is True
    assert claim(pk) is False
    row = Notification.objects.get(pk=pk)
    assert row.status == Notification.Status.SENDING and row.attempts == 1


def test_deliver_writes_one_log_and_a_second_deliver_is_skipped(zhang):
    notify(zhang, message())
    pk = Notification.objects.get(recipient=zhang, channel="email").pk
    assert deliver(pk) == "sent"
    assert deliver(pk) == "skipped"
    assert DeliveryLog.objects.filter(notification_id=pk).count() == 1
    assert len(mail.outbox) == 1


def test_the_delivery_task_is_safe_to_run_twice(zhang):
    notify(zhang, message())
    pk = Notification.objects.get(recipient=zhang, channel="email").pk
    assert deliver_notification.apply(args=[pk]).get() == "sent"
    assert deliver_notification.apply(args=[pk]).get() == "skipped"
    assert len(mail.outbox) == 1


def test_a_row_stuck_in_sending_is_requeued_and_delivered_once(zhang, settings, time_machine):
    settings.NOTIFICATION_SENDING_TIMEOUT = 15 * 60
    time_machine.move_to(at(2026, 3, 10, 10, 0), tick=False)
    notify(zhang, message())
    pk = Notification.objects.get(recipient=zhang, channel="email").pk
    assert claim(pk) is True  # ... and the worker dies here
    time_machine.move_to(at(2026, 3, 10, 10, 14), tick=False)
    assert requeue_stale() == []
    assert deliver(pk) == "skipped"
    time_machine.move_to(at(2026, 3, 10, 10, 16), tick=False)
    assert requeue_stale() == [pk]
    assert deliver(pk) == "sent"
    assert deliver(pk) == "skipped"
    assert requeue_stale() == []
    assert DeliveryLog.objects.filter(notification_id=pk).count() == 1
    assert Notification.objects.get(pk=pk).attempts == 2
    assert len(mail.outbox) == 1


# --- email -----------------------------------------------------------------


def test_email_has_chinese_plain_text_and_html_parts(zhang, settings):
    settings.SITE_URL = "https://dangjian.example.cn"
    notify(zhang, message())
    row = Notification.objects.get(recipient=zhang, channel="email")
    assert deliver(row.pk) == "sent"
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["zhangsan@example.cn"]
    assert email.subject == "学习提醒：党课《党章》学习"
    assert email.extra_headers["X-Dedup-Key"] == row.dedup_key
    (html, mimetype), *_rest = email.alternatives
    assert mimetype == "text/html"
    for part in (email.body, html):
        assert "张三" in part
        assert "学习提醒：党课《党章》学习" in part
        assert "明天上午九点" in part
        assert "党员教育培训管理" in part  # the footer, translated
        assert "https://dangjian.example.cn/training/1/" in part
        assert "https://dangjian.example.cn" + reverse("inbox:preferences") in part
    assert 'lang="zh-hans"' in html
    assert "<" not in email.body  # plain text, not escaped HTML
    assert "<br>" in html


def test_plain_text_email_is_not_html_escaped(zhang):
    notify(zhang, message(title="“两学一做” & 三会一课", body="a < b"))
    deliver(Notification.objects.get(recipient=zhang, channel="email").pk)
    body = mail.outbox[0].body
    assert "“两学一做” & 三会一课" in body and "a < b" in body
    assert "&amp;" in mail.outbox[0].alternatives[0][0]


# --- the HTTP SMS gateway ----------------------------------------------------


class _Gateway(BaseHTTPRequestHandler):
    status = 200
    reply = b'{"id": "gw-1"}'
    received: list

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        self.received.append({"headers": dict(self.headers), "json": json.loads(self.rfile.read(length))})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.reply)

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def gateway(settings):
    handler = type("Gateway", (_Gateway,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "members.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_API_KEY = "test-key"
    settings.SMS_GATEWAY_TIMEOUT = 5
    yield handler
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def due_sms(sms_on, zhang, time_machine):
    time_machine.move_to(at(2026, 3, 10, 10, 0), tick=False)
    notify(zhang, message(), channels=("sms",))
    return sms_row(zhang)


def test_gateway_success_records_the_gateway_id(gateway, due_sms, zhang):
    assert deliver(due_sms.pk) == "sent"
    assert DeliveryLog.objects.get(notification=due_sms).reference == "gw-1"
    (request,) = gateway.received
    assert request["headers"]["Authorization"] == "Bearer test-key"
    assert request["json"] == {
        "phone": zhang.phone,
        "text": "学习提醒：党课《党章》学习 明天上午九点在局机关党员活动室上党课，请准时参加。",
        "key": due_sms.dedup_key,
    }


def test_gateway_server_error_is_transient_and_leaves_the_row_pending(gateway, due_sms):
    gateway.status, gateway.reply = 500, b'{"error": "busy"}'
    assert deliver(due_sms.pk) == "retry"
    row = Notification.objects.get(pk=due_sms.pk)
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert row.last_error == "gateway error: HTTP 500"
    assert not DeliveryLog.objects.filter(notification=row).exists()


def test_gateway_rejection_marks_the_row_failed(gateway, due_sms):
    gateway.status, gateway.reply = 400, b'{"error": "bad number"}'
    assert deliver(due_sms.pk) == "failed"
    row = Notification.objects.get(pk=due_sms.pk)
    assert row.status == Notification.Status.FAILED
    assert row.last_error == "gateway refused: HTTP 400"
    assert deliver(due_sms.pk) == "skipped"  # never retried
    assert len(gateway.received) == 1


def test_gateway_errors_are_retried_with_backoff_until_the_last_attempt(gateway, due_sms):
    import datetime as dt

    import time_machine
    from django.utils import timezone as tz

    from members.services.notifications import requeue_stale

    gateway.status = 503
    moment = tz.now()
    waits = []
    for attempt in range(1, 6):
        with time_machine.travel(moment, tick=False):
            assert requeue_stale() == [due_sms.pk]
            result = deliver_notification.apply(args=[due_sms.pk]).get()
        row = Notification.objects.get(pk=due_sms.pk)
        assert row.attempts == attempt
        if attempt < 5:
            assert result == "retry" and row.status == Notification.Status.PENDING
            waits.append((row.send_after - moment).total_seconds())
            with time_machine.travel(moment, tick=False):
                assert requeue_stale() == []  # not due again before the backoff
            moment = row.send_after + dt.timedelta(seconds=1)
    assert result == "failed" and row.status == Notification.Status.FAILED
    assert waits == [30, 60, 120, 240] and len(gateway.received) == 5


def test_an_unreachable_gateway_is_transient(settings, due_sms):
    settings.SMS_BACKEND = "members.sms.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/send"  # discard port: nothing listens
    settings.SMS_GATEWAY_TIMEOUT = 2
    assert deliver(due_sms.pk) == "retry"
    row = Notification.objects.get(pk=due_sms.pk)
    assert row.status == Notification.Status.PENDING and "unreachable" in row.last_error


# --- the inbox ---------------------------------------------------------------


def test_inbox_lists_own_in_app_notifications_newest_first(client, member, zhang, outsider):
    notify(zhang, message(1, title="第一条"))
    notify(zhang, message(2, title="第二条"))
    notify(Member.objects.get(user=outsider), message(3, title="别人的"), channels=("in_app",))
    client.force_login(member)
    response = client.get(reverse("inbox:inbox"))
    assert response.status_code == 200
    assert [n.title for n in response.context["page"]] == ["第二条", "第一条"]
    html = response.content.decode()
    assert "别人的" not in html
    assert html.count("notification-unread") == 2


def test_inbox_is_paginated_by_20(client, member, zhang):
    for n in range(25):
        notify(zhang, message(n), channels=("in_app",))
    client.force_login(member)
    assert len(client.get(reverse("inbox:inbox")).context["page"]) == 20
    assert len(client.get(reverse("inbox:inbox"), {"page": 2}).context["page"]) == 5


def test_inbox_query_count_is_fixed(client, member, zhang, django_assert_num_queries):
    for n in range(3):
        notify(zhang, message(n), channels=("in_app",))
    client.force_login(member)
    client.get(reverse("inbox:inbox"))  # warm the session
    # session, user, roles (member, posts, leadership group, unread count), page count, page
    with django_assert_num_queries(5):
        client.get(reverse("inbox:inbox"))
    for n in range(3, 40):
        notify(zhang, message(n), channels=("in_app",))
    with django_assert_num_queries(5):
        response = client.get(reverse("inbox:inbox"))
    assert len(response.context["page"]) == 20


@pytest.mark.parametrize("persona", ["leader", "admin"])
def test_users_without_a_member_record_have_no_inbox(client, personas, persona):
    client.force_login(personas[persona])
    for name in ("inbox:inbox", "inbox:preferences"):
        assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse("inbox:mark_read")).status_code == 404


def test_mark_all_read(client, member, zhang, outsider):
    notify(zhang, message(1), channels=("in_app",))
    notify(zhang, message(2), channels=("in_app",))
    other = Member.objects.get(user=outsider)
    notify(other, message(3), channels=("in_app",))
    client.force_login(member)
    response = client.post(reverse("inbox:mark_read"))
    assert response.status_code == 302 and response["Location"] == reverse("inbox:inbox")
    assert not Notification.objects.filter(recipient=zhang, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=other).read_at is None


def test_mark_read_by_ids_touches_only_those_and_only_own(client, member, zhang, outsider):
    notify(zhang, message(1), channels=("in_app",))
    notify(zhang, message(2), channels=("in_app",))
    first, second = Notification.objects.filter(recipient=zhang).order_by("pk")
    other = Member.objects.get(user=outsider)
    notify(other, message(3), channels=("in_app",))
    theirs = Notification.objects.get(recipient=other)
    client.force_login(member)
    response = client.post(reverse("inbox:mark_read"), {"ids": [first.pk, theirs.pk], "page": 2})
    assert response["Location"] == reverse("inbox:inbox") + "?page=2"
    first.refresh_from_db(), second.refresh_from_db(), theirs.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None and theirs.read_at is None


def test_mark_read_rejects_garbage_ids(client, member, zhang):
    client.force_login(member)
    assert client.post(reverse("inbox:mark_read"), {"ids": ["x"]}).status_code == 400
    assert client.get(reverse("inbox:mark_read")).status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
def test_open_marks_read_and_follows_a_local_link(client, member, zhang, method):
    notify(zhang, message(7), channels=("in_app",))
    row = Notification.objects.get(recipient=zhang)
    client.force_login(member)
    response = getattr(client, method)(reverse("inbox:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == "/training/7/"
    row.refresh_from_db()
    assert row.read_at is not None


@pytest.mark.parametrize("url", ["", "https://evil.example/", "//evil.example/x", "/\\evil.example", "training/1/"])
def test_open_never_leaves_the_site(client, member, zhang, url):
    notify(zhang, message(url=url), channels=("in_app",))
    row = Notification.objects.get(recipient=zhang)
    client.force_login(member)
    response = client.get(reverse("inbox:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("inbox:inbox")


def test_open_of_another_members_notification_is_404(client, secretary, outsider, zhang):
    notify(zhang, message(), channels=("in_app",))
    row = Notification.objects.get(recipient=zhang)
    for user in (secretary, outsider):
        client.force_login(user)
        assert client.get(reverse("inbox:open", args=[row.pk])).status_code == 404
        assert client.post(reverse("inbox:open", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


def test_open_of_an_email_row_is_404(client, member, zhang):
    notify(zhang, message())
    row = Notification.objects.get(recipient=zhang, channel="email")
    client.force_login(member)
    assert client.get(reverse("inbox:open", args=[row.pk])).status_code == 404


# --- preferences -------------------------------------------------------------


def test_preferences_page_shows_the_defaults_without_writing(client, member, zhang):
    client.force_login(member)
    response = client.get(reverse("inbox:preferences"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["email"].value() is True and form["sms"].value() is False
    assert str(form["quiet_start"].value()) == "21:00:00" and str(form["quiet_end"].value()) == "08:00:00"
    assert not NotificationPreference.objects.exists()


def test_preferences_are_saved_and_audited(client, member, zhang):
    client.force_login(member)
    data = {"sms": "on", "quiet_start": "22:00", "quiet_end": "07:30"}
    response = client.post(reverse("inbox:preferences"), data)
    assert response.status_code == 302 and response["Location"] == reverse("inbox:preferences")
    preference = NotificationPreference.objects.get(member=zhang)
    assert (preference.email, preference.sms) == (False, True)
    assert (preference.quiet_start, preference.quiet_end) == (datetime.time(22, 0), datetime.time(7, 30))
    entry = AuditEntry.objects.get(action="notification_preference.updated")
    assert entry.actor == member and set(entry.payload) == {"email", "sms", "quiet_start", "quiet_end"}
    # Saving the same values again changes and audits nothing.
    client.post(reverse("inbox:preferences"), data)
    assert AuditEntry.objects.filter(action="notification_preference.updated").count() == 1


def test_bad_preferences_are_shown_again_with_errors(client, member, zhang):
    client.force_login(member)
    response = client.post(reverse("inbox:preferences"), {"sms": "on", "quiet_start": "25:00", "quiet_end": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"quiet_start", "quiet_end"}
    assert not NotificationPreference.objects.exists()


# --- the unread badge ----------------------------------------------------------


BADGE = re.compile(r'id="inbox-badge">(\d+)')


def test_badge_shows_the_unread_count(client, member, zhang):
    for n in range(3):
        notify(zhang, message(n), channels=("in_app",))
    client.force_login(member)
    response = client.get(reverse("home"))
    assert response.context["inbox_unread"] == 3
    html = response.content.decode()
    assert BADGE.search(html).group(1) == "3"
    assert reverse("inbox:inbox") in html
    client.post(reverse("inbox:mark_read"))
    html = client.get(reverse("home")).content.decode()
    assert reverse("inbox:inbox") in html and "inbox-badge" not in html


@pytest.mark.parametrize("persona", ["leader", "admin"])
def test_no_inbox_link_without_a_member_record(client, personas, persona):
    client.force_login(personas[persona])
    response = client.get(reverse("home"))
    assert response.context["inbox_unread"] == 0
    assert 'id="nav-inbox"' not in response.content.decode()


def test_unread_count_comes_with_the_roles_in_their_one_query(member, zhang, django_assert_num_queries):
    notify(zhang, message(), channels=("in_app",))
    request = RequestFactory().get("/")
    request.user = member
    with django_assert_num_queries(1):
        assert party_roles(request)["inbox_unread"] == 1
    roles_for(member).inbox_unread = None  # roles built elsewhere, without the count: counted once, when rendered
    with django_assert_num_queries(1):
        context = party_roles(request)
        assert context["inbox_unread"]() == context["inbox_unread"]() == 1


def test_inbox_pages_have_no_inline_scripts_or_styles(client, member, zhang):
    notify(zhang, message(), channels=("in_app",))
    client.force_login(member)
    # Chart data travels in <script type="application/json">, which never runs.
    inline = re.compile(
        r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>|<style\b|\sstyle="|\son[a-z]+="', re.I
    )
    for name in ("inbox:inbox", "inbox:preferences", "home"):
        html = client.get(reverse(name)).content.decode()
        assert not inline.search(html), name


def test_a_late_retry_still_respects_quiet_hours(member):
    import datetime as dt

    import time_machine
    from django.utils import timezone as tz

    from members.models import Member, Notification, NotificationPreference
    from members.services.notifications import Message, deliver, notify

    me = Member.objects.get(user=member)
    NotificationPreference.objects.create(member=me, sms=True)
    with time_machine.travel(dt.datetime(2026, 12, 9, 20, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
        notify(me, Message(kind="k", target="t", period="p", title="标题", body="正文"), channels=("sms",))
    sms = Notification.objects.get(channel="sms")
    with time_machine.travel(dt.datetime(2026, 12, 9, 21, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
        assert deliver(sms.pk) == "deferred"
    sms.refresh_from_db()
    assert sms.status == "pending" and tz.localtime(sms.send_after).hour == 8


def test_a_row_lost_too_often_is_failed_not_retried_forever(member, settings):
    import datetime as dt

    from django.utils import timezone as tz

    from members.models import Member, Notification
    from members.services.notifications import MAX_ATTEMPTS, requeue_stale

    me = Member.objects.get(user=member)
    stuck = Notification.objects.create(
        recipient=me,
        channel="sms",
        kind="k",
        dedup_key="stuck",
        title="t",
        status="sending",
        attempts=MAX_ATTEMPTS,
        claimed_at=tz.now() - dt.timedelta(hours=1),
    )
    assert stuck.pk not in requeue_stale()
    stuck.refresh_from_db()
    assert stuck.status == "failed"
