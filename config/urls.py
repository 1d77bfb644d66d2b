from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("branches/", include("training.branch_urls")),
    path("members/", include("members.urls")),
    path("inbox/", include("members.inbox_urls")),
    path("plans/", include("training.plan_urls")),
    path("calendar/", include("training.calendar_urls")),
    path("training/", include("training.urls")),
    path("progress/", include("training.progress_urls")),
    path("online-hours/", include("training.online_urls")),
    path("study/", include("training.study_urls")),
    path("awards/", include("assessments.awards_urls")),
    path("supervision/", include("assessments.supervision_urls")),
    path("assessments/", include("assessments.urls")),
    path("reports/", include("assessments.report_urls")),
    path("admin/", admin.site.urls),
]
