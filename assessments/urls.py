"""Every URL of the assessments app, grouped by area; each group keeps its namespace."""

from django.urls import include, path

from assessments.views import awards, reports, supervision, yearend

award_patterns = [
    path("stars/<int:year>/", awards.star_list, name="star_list"),
    path("stars/<int:year>/award/", awards.star_award_view, name="star_award"),
    path("stars/awards/<int:award_id>/withdraw/", awards.star_award_withdraw_view, name="star_award_withdraw"),
    path("ratings/<int:year>/", awards.rating_list, name="rating_list"),
    path("ratings/<int:year>/<int:branch_id>/", awards.rating_detail, name="rating_detail"),
    path("config/", awards.awards_config, name="config"),
]

supervision_patterns = [
    path("", supervision.visit_list, name="visit_list"),
    path("new/", supervision.visit_create_view, name="visit_create"),
    path("<int:visit_id>/", supervision.visit_detail_view, name="visit_detail"),
    path("items/<int:item_id>/update/", supervision.item_update_view, name="item_update"),
    path("items/<int:item_id>/evidence/", supervision.evidence_add_view, name="evidence_add"),
    path("evidence/<int:evidence_id>/", supervision.evidence_download, name="evidence_download"),
]

assessment_patterns = [
    path("", yearend.dashboard_view, name="dashboard"),
    path("export.xlsx", yearend.export_view, name="export"),
    path("recompute/", yearend.recompute_view, name="recompute"),
    path("scheme/<int:year>/", yearend.scheme_view, name="scheme"),
    path("branches/<int:branch_id>/", yearend.branch_dashboard, name="branch_dashboard"),
    path("branches/<int:branch_id>/<int:year>/verdicts/", yearend.verdicts_view, name="verdicts"),
    path("branches/<int:branch_id>/<int:year>/confirm/", yearend.confirm_view, name="confirm"),
    path("branches/<int:branch_id>/<int:year>/reopen/", yearend.reopen_view, name="reopen"),
    path("branches/<int:branch_id>/<int:year>/history/", yearend.history_view, name="history"),
    path("members/<int:member_id>/<int:year>/", yearend.member_result, name="member_result"),
    path("members/<int:member_id>/<int:year>/summary/", yearend.self_summary_view, name="self_summary"),
]

report_patterns = [
    path("", reports.report_list, name="report_list"),
    path("new/", reports.report_new, name="report_new"),
    path("<int:report_id>/", reports.report_detail, name="report_detail"),
    path("<int:report_id>/status/", reports.report_status, name="report_status"),
    path("<int:report_id>/retry/", reports.report_retry_view, name="report_retry"),
    path("<int:report_id>/pdf/", reports.report_pdf, name="report_pdf"),
    path("<int:report_id>/xlsx/", reports.report_xlsx, name="report_xlsx"),
]

urlpatterns = [
    path("awards/", include((award_patterns, "awards"))),
    path("supervision/", include((supervision_patterns, "supervision"))),
    path("assessments/", include((assessment_patterns, "assessments"))),
    path("reports/", include((report_patterns, "reports"))),
]
