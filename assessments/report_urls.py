from django.urls import path

from . import report_views

app_name = "reports"
urlpatterns = [
    path("", report_views.report_list, name="report_list"),
    path("new/", report_views.report_new, name="report_new"),
    path("<int:report_id>/", report_views.report_detail, name="report_detail"),
    path("<int:report_id>/status/", report_views.report_status, name="report_status"),
    path("<int:report_id>/pdf/", report_views.report_pdf, name="report_pdf"),
    path("<int:report_id>/xlsx/", report_views.report_xlsx, name="report_xlsx"),
]
