"""Every URL of the members app, grouped by area; each group keeps its namespace."""

from django.urls import include, path

from members.views import access, inbox, lockouts, members

member_patterns = [
    path("", members.member_list, name="member_list"),
    path("export.xlsx", members.member_export, name="member_export"),
    path("roster/import/", members.roster_import_view, name="roster_import"),
    path("roster/import/confirm/", members.roster_import_confirm, name="roster_import_confirm"),
    path("roster/template.xlsx", members.roster_template_view, name="roster_template"),
    path("<int:member_id>/", members.member_detail_view, name="member_detail"),
    path("<int:member_id>/edit/", members.member_edit, name="member_edit"),
    path("access-log/", access.access_log, name="access_log"),
    path("lockouts/", lockouts.lockout_list_view, name="lockout_list"),
    path("lockouts/unlock/", lockouts.lockout_unlock, name="lockout_unlock"),
    path("<int:member_id>/transfer/", members.member_transfer_view, name="member_transfer"),
]

inbox_patterns = [
    path("", inbox.inbox, name="inbox"),
    path("read/", inbox.inbox_mark_read, name="mark_read"),
    path("<int:notification_id>/open/", inbox.notification_open_view, name="open"),
    path("preferences/", inbox.notification_preferences, name="preferences"),
]

urlpatterns = [
    path("members/", include((member_patterns, "members"))),
    path("inbox/", include((inbox_patterns, "inbox"))),
]
