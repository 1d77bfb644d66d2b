from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.permissions import roles_for
from members.services.lockouts import lockout_clear, lockout_list


def _admin_only(request):
    if not roles_for(request.user).is_admin:
        raise PermissionDenied


def lockout_list_view(request):
    """Usernames with failed logins in the last 30 minutes, for administrators, with an unlock button."""
    _admin_only(request)
    context = {
        "lockouts": lockout_list(),
        "settings_here": settings.LOGIN_FAILURES_PER_ADDRESS,
        "settings_everywhere": settings.LOGIN_FAILURES_PER_USERNAME,
    }
    return render(request, "members/lockouts.html", context)


@require_POST
def lockout_unlock(request):
    _admin_only(request)
    username = request.POST.get("username", "").replace("\x00", "")[:150]
    if username:
        lockout_clear(username=username, actor=request.user)
        messages.success(request, _("%(username)s can log in again.") % {"username": username})
    return redirect("members:lockout_list")
