"""Pages that draw on every app, wired here so that no app reaches to its right."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from assessments.selectors.todo import leadership_todo, secretary_todo
from config.status import system_status
from members.permissions import roles_for
from members.selectors.members import branch_list_with_counts
from training.selectors.lessons import upcoming_lessons_for_member
from training.selectors.todo import member_home


def home(request):
    """Each role's to-do list, most urgent first; a member's lessons and hours against today's pace."""
    roles = roles_for(request.user)
    now = timezone.now()
    today = timezone.localdate(now)
    context = {"year": today.year, "today": today}
    if roles.member is not None:
        context["upcoming"] = upcoming_lessons_for_member(roles.member, now=now)
        mine = member_home(roles.member, year=today.year, today=today)
        context.update(progress=mine.progress, freshness=mine.freshness, pace=mine.pace, member_todo=mine.todo)
    if roles.is_committee:
        context["secretary_todo"] = secretary_todo(request.user, year=today.year, today=today, now=now)
        context["my_branches"] = list(branch_list_with_counts(request.user).filter(pk__in=roles.committee_branch_ids))
    if roles.is_leadership:
        context["leadership_todo"] = leadership_todo(request.user, year=today.year, today=today, now=now)
        context["all_branches"] = list(branch_list_with_counts(request.user).branches_only())
    return render(request, "home.html", context)


@login_not_required
def healthz(request):
    """JSON for monitoring: 200 while the database and the broker answer, 503 otherwise."""
    status = system_status()
    healthy = status["database"]["ok"] and status["broker"]["ok"]
    return JsonResponse(status, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False})


def status_page(request):
    """The same picture as /healthz, as a page for staff."""
    if not request.user.is_staff:
        raise PermissionDenied
    return render(request, "status.html", {"status": system_status()})


@login_not_required
def csrf_failure(request, reason=""):
    """The CSRF-failure page in the site's layout; the reason stays in the log, not on the page."""
    return render(request, "403_csrf.html", status=403)


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisation_name"] = settings.ORGANISATION_NAME
        # A scan before logging in is parked in the session; say that logging
        # in finishes it, or the member scans again and the code has expired.
        context["pending_check_in"] = context.get("next") == reverse("training:check_in_resume")
        return context
