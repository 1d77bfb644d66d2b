from functools import cache

from django.utils import timezone

from members.permissions import roles_for
from members.services.notifications import inbox_unread_count


def party_roles(request):
    """Expose the user's roles to templates, so navigation shows only what they may use.

    inbox_unread is a callable the template calls: the COUNT query runs only
    on pages that render it, once however often they do.
    """
    roles = roles_for(getattr(request, "user", None))
    member = roles.member
    inbox_unread = cache(lambda: inbox_unread_count(member)) if member is not None else 0
    return {"roles": roles, "current_year": timezone.localdate().year, "inbox_unread": inbox_unread}
