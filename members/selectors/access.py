"""The access log of full ID and phone numbers: who saw whose number, where and when."""

from django.db.models import Q, QuerySet

from members.models import IdentityAccess


def access_log_list(*, viewer: str = "", member: str = "", field: str = "", since=None, until=None) -> QuerySet:
    """Return log rows, newest first, filtered by viewer, member name, field and day range."""
    rows = IdentityAccess.objects.select_related("member", "member__branch")
    if viewer:
        rows = rows.filter(viewer_name__icontains=viewer)
    if member:
        rows = rows.filter(Q(member__full_name__icontains=member) | Q(member__name_initials__iexact=member))
    if field:
        rows = rows.filter(field=field)
    if since:
        rows = rows.filter(at__date__gte=since)
    if until:
        rows = rows.filter(at__date__lte=until)
    return rows.order_by("-at", "-pk")
