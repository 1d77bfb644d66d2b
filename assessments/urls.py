from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("export.xlsx", views.export_view, name="export"),
    path("recompute/", views.recompute_view, name="recompute"),
    path("scheme/<int:year>/", views.scheme_view, name="scheme"),
    path("branches/<int:branch_id>/", views.branch_dashboard, name="branch_dashboard"),
    path("branches/<int:branch_id>/<int:year>/verdicts/", views.verdicts_view, name="verdicts"),
    path("branches/<int:branch_id>/<int:year>/confirm/", views.confirm_view, name="confirm"),
    path("branches/<int:branch_id>/<int:year>/reopen/", views.reopen_view, name="reopen"),
    path("branches/<int:branch_id>/<int:year>/history/", views.history_view, name="history"),
    path("members/<int:member_id>/<int:year>/", views.member_result, name="member_result"),
    path("members/<int:member_id>/<int:year>/summary/", views.self_summary_view, name="self_summary"),
]
