"""Login lockout (django-axes): a username is locked from the address that failed, and from everywhere
only after many more failures, so nobody can lock a secretary out from afar with five wrong passwords.

AXES_LOCKOUT_PARAMETERS counts failures per username and address and per
username; ``failure_limit`` (AXES_FAILURE_LIMIT) decides which count locks:
LOGIN_FAILURES_PER_ADDRESS from one address, LOGIN_FAILURES_PER_USERNAME from
all of them together. When the username is locked from everywhere, the
member and the administrators are told. Administrators unlock on their page
(members.views.lockouts).
"""

import datetime
from dataclasses import dataclass

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from members.models import Member
from members.services.notifications import Message, notify_many

NEVER = 10**9


def _recent(now=None):
    now = now or timezone.now()
    return AccessAttempt.objects.filter(attempt_time__gte=now - settings.AXES_COOLOFF_TIME)


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
    nearest of them appended to X-Forwarded-For; what the client wrote there itself is ignored.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def failure_counts(username: str, ip_address: str | None, *, now=None) -> tuple[int, int]:
    """Return (failures from this address, failures from all addresses) within the cool-off time."""
    attempts = _recent(now).filter(username=username)
    total = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
    here = attempts.filter(ip_address=ip_address).aggregate(n=Sum("failures_since_start"))["n"] or 0
    return here, total


def failure_limit(request, credentials) -> int:
    """AXES_FAILURE_LIMIT: 1 (locked) once either count reaches its limit, else never."""
    username = get_client_username(request, credentials)
    if not username:
        return NEVER
    here, total = failure_counts(username, getattr(request, "axes_ip_address", None))
    if here >= settings.LOGIN_FAILURES_PER_ADDRESS or total >= settings.LOGIN_FAILURES_PER_USERNAME:
        return 1
    return NEVER


def locked_everywhere(username: str, *, now=None) -> bool:
    return failure_counts(username, None, now=now)[1] >= settings.LOGIN_FAILURES_PER_USERNAME


def username_locked_out(*, username: str, now=None) -> int:
    """After a lockout: when the username is locked from everywhere, tell the member and the administrators.

    Once per username and cool-off period (the notification's dedup key); returns how many were new.
    """
    now = now or timezone.now()
    if not username or not locked_everywhere(username, now=now):
        return 0
    User = get_user_model()
    owner = Member.objects.filter(user__username=username).first()
    admins = list(Member.objects.filter(user__is_superuser=True, user__is_active=True))
    period = str(int(now.timestamp()) // int(settings.AXES_COOLOFF_TIME.total_seconds()))

    def message_for(member):
        if owner is not None and member is not None and member.pk == owner.pk:
            return Message(
                kind="login_locked",
                target=f"user:{username}",
                period=period,
                title=_("Your account was locked after many failed logins"),
                body=_(
                    "Someone typed a wrong password for your account %(count)d times. If it was not you, "
                    "change your password after the lock ends, or ask the administrator."
                )
                % {"count": settings.LOGIN_FAILURES_PER_USERNAME},
                url=reverse("password_change"),
            )
        return Message(
            kind="login_locked_admin",
            target=f"user:{username}",
            period=period,
            title=_("Account %(username)s locked from every address") % {"username": username},
            body=_("%(count)d failed logins for this username from several addresses. Unlock it on the lockout page.")
            % {"count": settings.LOGIN_FAILURES_PER_USERNAME},
            url=reverse("members:lockout_list"),
        )

    recipients = ([owner] if owner is not None else []) + [a for a in admins if owner is None or a.pk != owner.pk]
    sent = notify_many(message_for, recipients)
    if sent:
        # Administrators without a member record are told by email.
        emails = list(
            User.objects.filter(is_superuser=True, is_active=True, member__isnull=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if emails:
            admin_message = message_for(None)
            transaction.on_commit(
                lambda: send_mail(admin_message.title, admin_message.body, None, emails, fail_silently=True)
            )
    if sent and User.objects.filter(username=username).exists():
        audit_record(actor=None, action="login.locked", target=User.objects.get(username=username))
    return sent


@dataclass
class Lockout:
    username: str
    failures: int
    addresses: int
    last_attempt: datetime.datetime
    everywhere: bool


def lockout_list(*, now=None) -> list[Lockout]:
    """Usernames with failed logins within the cool-off time, most failures first."""
    rows = (
        _recent(now)
        .values("username")
        .annotate(
            failures=Sum("failures_since_start"), addresses=Count("ip_address", distinct=True), last=Max("attempt_time")
        )
        .order_by("-failures", "username")
    )
    return [
        Lockout(
            username=row["username"],
            failures=row["failures"],
            addresses=row["addresses"],
            last_attempt=row["last"],
            everywhere=row["failures"] >= settings.LOGIN_FAILURES_PER_USERNAME,
        )
        for row in rows
    ]


def lockout_clear(*, username: str, actor) -> int:
    """Unlock *username* from every address; return how many attempt rows were removed."""
    count = reset(username=username)
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        audit_record(actor=actor, action="login.unlocked", target=user)
    return count


def _on_locked_out(sender, request, username=None, **kwargs):
    username_locked_out(username=username)


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_on_locked_out, dispatch_uid="members.lockouts")
