from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from members.forms.access import AccessLogFilterForm
from members.permissions import roles_for
from members.selectors.access import access_log_list


def access_log(request):
    """The access log of full numbers: for holders of the identity permission and administrators."""
    roles = roles_for(request.user)
    if not (roles.is_admin or roles.can_view_identity):
        raise PermissionDenied
    form = AccessLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = access_log_list(**{k: v for k, v in filters.items() if v})
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "members/access_log.html",
        {"form": form, "page": page, "retention_days": settings.IDENTITY_ACCESS_RETENTION_DAYS},
    )
