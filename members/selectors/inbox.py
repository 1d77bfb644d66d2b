"""Read side of the in-app inbox: the member's notifications and their settings."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from members.models import Member, Notification, NotificationPreference


def inbox_list_for_member(member: Member) -> QuerySet[Notification]:
    """Return the member's in-app notifications, newest first."""
    return Notification.objects.filter(recipient=member, channel=Notification.Channel.IN_APP).order_by(
        "-created_at", "-pk"
    )


def inbox_notification_for_member(member: Member, notification_id: int) -> Notification:
    """Return one of the member's in-app notifications, or raise 404 (another member's included)."""
    return get_object_or_404(inbox_list_for_member(member), pk=notification_id)


def notification_preference_for_member(member: Member) -> NotificationPreference:
    """Return the member's saved preferences, or unsaved defaults (reading never writes)."""
    preference = NotificationPreference.objects.filter(member=member).first()
    return preference or NotificationPreference(member=member)
