"""Sending, in one place: the in-app inbox, email and SMS, each exactly once.

Every message has a dedup key (kind, target, recipient, period, channel)
under a unique constraint, so a second sweep, a second beat or a retried
task finds the row already there. Delivery works in batches: one
statement claims the due rows of a batch (pending → sending), each is sent
with its dedup key, and one transaction writes the batch's delivery logs
with one insert and marks them sent; a row left in sending by a dead worker
goes back to pending after NOTIFICATION_SENDING_TIMEOUT.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.background import enqueue_many_on_commit
from members.models import DeliveryLog, Member, Notification, NotificationPreference
from members.sms import SmsRejected, sms_backend

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Message:
    kind: str
    target: str  # what it is about, e.g. "lesson:12"
    period: str  # when it applies, e.g. "24h" or "2026-11-27"
    title: str
    body: str
    url: str = ""


def dedup_key(message: Message, member_id: int, channel: str) -> str:
    return f"{message.kind}:{message.target}:{member_id}:{message.period}:{channel}"[:200]


def next_allowed_sms_time(moment: datetime.datetime, preference: NotificationPreference | None) -> datetime.datetime:
    """Return *moment*, or the end of the member's quiet hours (Asia/Shanghai) if it falls inside them."""
    start = preference.quiet_start if preference else datetime.time(21, 0)
    end = preference.quiet_end if preference else datetime.time(8, 0)
    local = timezone.localtime(moment)
    now = local.time()
    quiet = (start <= now or now < end) if start > end else (start <= now < end)
    if not quiet:
        return moment
    day = local.date() if now < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end))


def _channels(member: Member, preference, wanted, *, escalate: bool = False) -> list[str]:
    channels = [Notification.Channel.IN_APP] if "in_app" in wanted else []
    email_on = preference.email if preference else True
    # An escalation goes out by SMS even to members who chose no routine SMS.
    sms_on = escalate or (preference.sms if preference else False)
    if "email" in wanted and email_on and member.email:
        channels.append(Notification.Channel.EMAIL)
    if "sms" in wanted and sms_on and member.phone:
        channels.append(Notification.Channel.SMS)
    return channels


def notify_many(message_for, members, *, channels=("in_app", "email"), escalate=False, now=None) -> int:
    """Create the notifications for *members* (message_for(member) → Message); return how many are new.

    In-app messages are delivered on creation; email and SMS are queued for a
    worker through the outbox, written in the same transaction, so a rollback
    sends nothing and a broker outage loses nothing.
    """
    now = now or timezone.now()
    members = list(members)
    preferences = {p.member_id: p for p in NotificationPreference.objects.filter(member__in=[m.pk for m in members])}
    rows = []
    for member in members:
        message = message_for(member)
        preference = preferences.get(member.pk)
        for channel in _channels(member, preference, channels, escalate=escalate):
            send_after = next_allowed_sms_time(now, preference) if channel == "sms" else now
            rows.append(
                Notification(
                    recipient=member,
                    channel=channel,
                    kind=message.kind,
                    title=message.title,
                    body=message.body,
                    url=message.url,
                    dedup_key=dedup_key(message, member.pk, channel),
                    send_after=send_after,
                    status=Notification.Status.SENT if channel == "in_app" else Notification.Status.PENDING,
                    sent_at=now if channel == "in_app" else None,
                )
            )
    keys = [row.dedup_key for row in rows]
    with transaction.atomic():
        existing = set(Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
        fresh = [row for row in rows if row.dedup_key not in existing]
        Notification.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
        created = {n.dedup_key: n for n in Notification.objects.filter(dedup_key__in=[r.dedup_key for r in fresh])}
        DeliveryLog.objects.bulk_create(
            [DeliveryLog(notification=n, channel=n.channel) for n in created.values() if n.channel == "in_app"],
            ignore_conflicts=True,
        )
        outgoing = sorted(n.pk for n in created.values() if n.channel != "in_app" and n.send_after <= now)
        if outgoing:
            # One task per batch: each claims its rows in one statement and
            # logs them in one insert, and several run side by side.
            enqueue_many_on_commit("members.tasks.deliver_notifications", [(chunk,) for chunk in batches(outgoing)])
    return len(created)


def notify(member: Member, message: Message, *, channels=("in_app", "email"), now=None) -> int:
    return notify_many(lambda _m: message, [member], channels=channels, now=now)


def claim(notification_id: int, *, now=None) -> bool:
    """Move one due notification from pending to sending; False when another worker has it or it is done."""
    return notification_id in claim_batch([notification_id], now=now)


def claim_batch(ids: Iterable[int], *, now=None) -> list[int]:
    """Move the due, pending notifications among *ids* to sending in one statement; return the ids claimed.

    Concurrency: the inner SELECT locks the rows it picks and skips rows
    another claimer holds (FOR UPDATE SKIP LOCKED), and the UPDATE re-checks
    the status, so two claimers never get the same row and never wait on
    each other. SQLite (the embedded default) serialises writers instead.
    """
    ids = [int(pk) for pk in ids]
    if not ids:
        return []
    now = now or timezone.now()
    table = connection.ops.quote_name(Notification._meta.db_table)
    placeholders = ", ".join(["%s"] * len(ids))
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    sql = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608 - fixed names
        f"WHERE id IN (SELECT id FROM {table} WHERE id IN ({placeholders}) "
        f"AND status = %s AND send_after <= %s{lock}) AND status = %s RETURNING id"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    params = [Notification.Status.SENDING, at, *ids, Notification.Status.PENDING, at, Notification.Status.PENDING]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _email(notification: Notification, mail_connection) -> EmailMultiAlternatives:
    member = notification.recipient
    with translation.override(settings.LANGUAGE_CODE):
        context = {"notification": notification, "member": member, "site_url": settings.SITE_URL}
        text = render_to_string("members/email/notification.txt", context)
        html = render_to_string("members/email/notification.html", context)
    mail = EmailMultiAlternatives(
        notification.title,
        text,
        to=[member.email],
        headers={"X-Dedup-Key": notification.dedup_key},
        connection=mail_connection,
    )
    mail.attach_alternative(html, "text/html")
    return mail


class _Senders:
    """One SMS backend and one mail connection for a whole batch, opened on first use."""

    def __init__(self):
        self.sms = None
        self.mail = None

    def send(self, notification: Notification) -> str:
        """Hand one message to its gateway with its dedup key; return the gateway's reference."""
        if notification.channel == Notification.Channel.EMAIL:
            if self.mail is None:
                self.mail = get_connection()
                self.mail.open()
            _email(notification, self.mail).send()
            return ""
        if notification.channel == Notification.Channel.SMS:
            self.sms = self.sms or sms_backend()
            text = f"{notification.title} {notification.body}".strip()[:300]
            return self.sms.send(phone=notification.recipient.phone, text=text, key=notification.dedup_key)
        return ""

    def close(self) -> None:
        if self.mail is not None:
            try:
                self.mail.close()
            except Exception:  # noqa: BLE001 - what was sent is sent; a failed QUIT changes nothing
                pass


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 600))


def _settle(groups: dict, **base) -> None:
    """Write each group of rows with one UPDATE: {(status, send_after, error, attempts_back): [ids]}."""
    for (status, send_after, error, back), ids in groups.items():
        values = {"status": status, **base}
        if send_after is not None:
            values["send_after"] = send_after
        if error is not None:
            values["last_error"] = error
        if back:
            values["attempts"] = F("attempts") - back
        Notification.objects.filter(pk__in=ids).update(**values)


def deliver_batch(ids: Iterable[int], *, now=None) -> dict[int, str]:
    """Claim the due notifications among *ids*, send them and log them; return {id: outcome}.

    Outcomes: "sent", "deferred" (quiet hours, checked again now), "retry"
    (transient failure: back to pending with a backoff of 30 s, 60 s, 120 s …
    up to 10 minutes, for the minute sweep), "failed" (refused, or the last
    attempt), and "skipped" for rows not claimed (another worker has them,
    not due, or done). After a transient failure on a channel the rest of
    the batch on that channel is not tried: it goes back to pending with the
    same backoff, its attempt not counted, so a dead gateway costs one
    timeout per batch rather than one per message.

    The query count does not grow with the batch: one claim, one read of
    the rows with their recipients, one of the SMS recipients' preferences,
    one bulk insert of delivery logs with one UPDATE to sent (a single
    transaction), plus one UPDATE per distinct outcome group. A worker that
    dies after sending and before that transaction leaves its rows in
    sending; NOTIFICATION_SENDING_TIMEOUT later requeue_stale releases them
    and they go out again with the same dedup key, which the gateway uses
    to drop the repeat (see README, "Exactly once").
    """
    now = now or timezone.now()
    ids = list(ids)
    outcomes = dict.fromkeys(ids, "skipped")
    claimed = claim_batch(ids, now=now)
    if not claimed:
        return outcomes
    rows = list(Notification.objects.select_related("recipient").filter(pk__in=claimed).order_by("pk"))
    sms_members = {row.recipient_id for row in rows if row.channel == Notification.Channel.SMS}
    preferences = (
        {p.member_id: p for p in NotificationPreference.objects.filter(member_id__in=sms_members)}
        if sms_members
        else {}
    )
    groups: dict[tuple, list[int]] = {}
    sent: list[tuple[Notification, str]] = []
    halted: dict[str, tuple] = {}  # channel → the group its untried rows join
    senders = _Senders()
    try:
        for row in rows:
            if row.channel == Notification.Channel.SMS:
                # A retry or a requeue can come later than planned: quiet hours still hold.
                allowed = next_allowed_sms_time(now, preferences.get(row.recipient_id))
                if allowed > now:
                    groups.setdefault((Notification.Status.PENDING, allowed, None, 1), []).append(row.pk)
                    outcomes[row.pk] = "deferred"
                    continue
            if row.channel in halted:
                groups.setdefault(halted[row.channel], []).append(row.pk)
                outcomes[row.pk] = "retry"
                continue
            try:
                sent.append((row, senders.send(row)))
            except SmsRejected as exc:
                groups.setdefault((Notification.Status.FAILED, None, str(exc)[:300], 0), []).append(row.pk)
                outcomes[row.pk] = "failed"
            except Exception as exc:
                error = str(exc)[:300]
                final = row.attempts >= MAX_ATTEMPTS
                status = Notification.Status.FAILED if final else Notification.Status.PENDING
                retry_at = now + _backoff(row.attempts)
                groups.setdefault((status, retry_at, error, 0), []).append(row.pk)
                outcomes[row.pk] = "failed" if final else "retry"
                halted[row.channel] = (Notification.Status.PENDING, retry_at, error, 1)
    finally:
        senders.close()
        # Recorded even when the loop broke off: what left is logged, the rest is released.
        with transaction.atomic():
            DeliveryLog.objects.bulk_create(
                [DeliveryLog(notification=row, channel=row.channel, reference=ref or "") for row, ref in sent],
                ignore_conflicts=True,
            )
            if sent:
                Notification.objects.filter(pk__in=[row.pk for row, _ref in sent]).update(
                    status=Notification.Status.SENT, sent_at=timezone.now()
                )
            _settle(groups)
        unsettled = set(claimed) - {row.pk for row, _ref in sent} - {pk for pks in groups.values() for pk in pks}
        if unsettled:
            # An exception we did not expect (not a send failure) stopped the loop.
            Notification.objects.filter(pk__in=unsettled).update(
                status=Notification.Status.PENDING, attempts=F("attempts") - 1
            )
    for row, _ref in sent:
        outcomes[row.pk] = "sent"
    return outcomes


def deliver(notification_id: int, *, now=None) -> str:
    """Send one notification if it is due and unclaimed; return "sent", "deferred", "retry", "skipped" or "failed"."""
    return deliver_batch([notification_id], now=now)[notification_id]


def batches(ids: Iterable[int], size: int | None = None) -> list[list[int]]:
    """Split *ids* into lists of at most NOTIFICATION_BATCH_SIZE, the unit one delivery task claims."""
    size = size or settings.NOTIFICATION_BATCH_SIZE
    ids = list(ids)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def requeue_stale(*, now=None, limit: int | None = None) -> list[int]:
    """Return due notifications to work on: pending ones, and ones stuck in sending past the timeout."""
    now = now or timezone.now()
    limit = limit or settings.NOTIFICATION_REQUEUE_LIMIT
    stuck_before = now - datetime.timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)
    stuck = Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=stuck_before)
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(status=Notification.Status.FAILED, last_error="worker lost")
    stuck.update(status=Notification.Status.PENDING)
    return list(
        Notification.objects.filter(status=Notification.Status.PENDING, send_after__lte=now)
        .exclude(channel=Notification.Channel.IN_APP)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def inbox_unread_count(member: Member) -> int:
    return Notification.objects.filter(recipient=member, channel="in_app", read_at__isnull=True).count()


def mark_read(member: Member, *, ids=None, now=None) -> int:
    """Mark the member's in-app notifications read (all, or *ids*); return how many changed."""
    rows = Notification.objects.filter(recipient=member, channel="in_app", read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=now or timezone.now())
