from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from members.forms.inbox import MarkReadForm, NotificationPreferenceForm
from members.permissions import own_member
from members.selectors import inbox as selectors
from members.services.inbox import notification_open, notification_preference_update
from members.services.notifications import mark_read

PAGE_SIZE = 20


def inbox(request):
    member = own_member(request, hidden=True)
    page = Paginator(selectors.inbox_list_for_member(member), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/inbox.html", {"page": page})


@require_POST
def inbox_mark_read(request):
    member = own_member(request, hidden=True)
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The notifications to mark read could not be understood."))
    ids = form.cleaned_data["ids"] or None
    count = mark_read(member, ids=ids)
    if count:
        messages.success(
            request,
            ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
            % {"count": count},
        )
    page = form.cleaned_data["page"]
    return redirect(f"{reverse('inbox:inbox')}?page={page}" if page and page > 1 else reverse("inbox:inbox"))


@require_http_methods(["GET", "POST"])
def notification_open_view(request, notification_id):
    member = own_member(request, hidden=True)
    notification = selectors.inbox_notification_for_member(member, notification_id)
    url = notification_open(member=member, notification=notification)
    return redirect(url or "inbox:inbox")


def notification_preferences(request):
    member = own_member(request, hidden=True)
    preference = selectors.notification_preference_for_member(member)
    form = NotificationPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        notification_preference_update(member=member, data=form.cleaned_data, actor=request.user)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("inbox:preferences")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "member": member}
    return render(request, "members/notification_preferences.html", context, status=status)
