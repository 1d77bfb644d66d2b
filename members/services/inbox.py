"""Write side of the in-app inbox: opening a notification and saving preferences."""

from django.db import transaction
from django.utils.http import url_has_allowed_host_and_scheme

from core.audit import audit_record, changes_between
from members.models import Member, Notification, NotificationPreference
from members.services.notifications import mark_read

PREFERENCE_FIELDS = ("email", "sms", "quiet_start", "quiet_end")


def notification_open(*, member: Member, notification: Notification, now=None) -> str:
    """Mark one in-app notification read; return its link if it is a path on this site, else "".

    A notification must never send the member to another host, so "//host"
    and absolute URLs are dropped (no open redirect).
    """
    if notification.read_at is None:
        mark_read(member, ids=[notification.pk], now=now)
    url = notification.url
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return ""


@transaction.atomic
def notification_preference_update(*, member: Member, data: dict, actor) -> NotificationPreference:
    """Save the member's channel choices and SMS quiet hours; audit only what changed."""
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(member=member)
    before = {name: getattr(preference, name) for name in PREFERENCE_FIELDS}
    changes = changes_between(before, {k: v for k, v in data.items() if k in PREFERENCE_FIELDS})
    if not changes:
        return preference
    for name in changes:
        setattr(preference, name, data[name])
    preference.full_clean()
    preference.save()
    audit_record(actor=actor, action="notification_preference.updated", target=preference, payload=changes)
    return preference
