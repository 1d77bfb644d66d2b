"""Sending, in one place: the in-app inbox, email and SMS, each exactly once.

Every message has a dedup key (kind, target, recipient, period, channel)
under a unique constraint, so a second sweep, a second beat or a retried
task finds the row already there. Delivery claims the row with a
conditional UPDATE (pending → sending), sends, and marks it sent in the
same transaction that writes the delivery log; a row left in sending by a
dead worker goes back to pending after NOTIFICATION_SENDING_TIMEOUT.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
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
        outgoing = [n.pk for n in created.values() if n.channel != "in_app" and n.send_after <= now]
        if outgoing:
            enqueue_many_on_commit("members.tasks.deliver_notification", [(pk,) for pk in outgoing])
    return len(created)


def notify(member: Member, message: Message, *, channels=("in_app", "email"), now=None) -> int:
    return notify_many(lambda _m: message, [member], channels=channels, now=now)


def claim(notification_id: int, *, now=None) -> bool:
    """Move one due notification from pending to sending; False when another worker has it or it is done."""
    now = now or timezone.now()
    return bool(
        Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING, send_after__lte=now).update(
            status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def _send(notification: Notification) -> str:
    member = notification.recipient
    if notification.channel == Notification.Channel.EMAIL:
        with translation.override(settings.LANGUAGE_CODE):
            context = {"notification": notification, "member": member, "site_url": settings.SITE_URL}
            text = render_to_string("members/email/notification.txt", context)
            html = render_to_string("members/email/notification.html", context)
        mail = EmailMultiAlternatives(
            notification.title, text, to=[member.email], headers={"X-Dedup-Key": notification.dedup_key}
        )
        mail.attach_alternative(html, "text/html")
        mail.send()
        return ""
    if notification.channel == Notification.Channel.SMS:
        text = f"{notification.title} {notification.body}".strip()[:300]
        return sms_backend().send(phone=member.phone, text=text, key=notification.dedup_key)
    return ""


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 600))


def deliver(notification_id: int, *, now=None) -> str:
    """Send one notification if it is due and unclaimed; return "sent", "deferred", "retry", "skipped" or "failed".

    A transient failure (gateway down, mail server refusing) puts the row back
    with a later send_after — 30 s, 60 s, 120 s … up to 10 minutes — and the
    minute sweep retries it then; after MAX_ATTEMPTS it fails.
    """
    now = now or timezone.now()
    if not claim(notification_id, now=now):
        return "skipped"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    if notification.channel == Notification.Channel.SMS:
        # A retry or a requeue can come later than planned: quiet hours still hold.
        preference = NotificationPreference.objects.filter(member_id=notification.recipient_id).first()
        allowed = next_allowed_sms_time(now, preference)
        if allowed > now:
            Notification.objects.filter(pk=notification.pk).update(
                status=Notification.Status.PENDING, send_after=allowed
            )
            return "deferred"
    try:
        reference = _send(notification)
    except SmsRejected as exc:
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED, last_error=str(exc)[:300]
        )
        return "failed"
    except Exception as exc:
        final = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED if final else Notification.Status.PENDING,
            send_after=now + _backoff(notification.attempts),
            last_error=str(exc)[:300],
        )
        return "failed" if final else "retry"
    with transaction.atomic():
        try:
            DeliveryLog.objects.create(notification=notification, channel=notification.channel, reference=reference)
        except IntegrityError:
            return "skipped"
        Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.SENT, sent_at=timezone.now())
    return "sent"


def requeue_stale(*, now=None, limit: int = 1000) -> list[int]:
    """Return due notifications to work on: pending ones, and ones stuck in sending past the timeout."""
    now = now or timezone.now()
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
