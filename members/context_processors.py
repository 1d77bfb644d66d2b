from functools import cache

from django.utils import timezone

from members.permissions import roles_for
from members.services.notifications import inbox_unread_count


def party_roles(request):
    """Expose the user's roles to templates, so navigation shows only what they may use.

    inbox_unread comes with the roles (one query for both); where the roles
    were built without it, it is a callable the template calls, so the
    COUNT query runs only on pages that render it.
    """
    roles = roles_for(getattr(request, "user", None))
    member = roles.member
    if member is None:
        inbox_unread = 0
    elif roles.inbox_unread is not None:
        inbox_unread = roles.inbox_unread
    else:
        inbox_unread = cache(lambda: inbox_unread_count(member))
    return {"roles": roles, "current_year": timezone.localdate().year, "inbox_unread": inbox_unread}
