from django.utils import timezone

from .permissions import roles_for


def party_roles(request):
    """Expose the user's roles to templates, so navigation shows only what they may use."""
    return {"roles": roles_for(getattr(request, "user", None)), "current_year": timezone.localdate().year}
