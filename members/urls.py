from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("export.xlsx", views.member_export, name="member_export"),
    path("roster/import/", views.roster_import_view, name="roster_import"),
    path("roster/import/confirm/", views.roster_import_confirm, name="roster_import_confirm"),
    path("roster/template.xlsx", views.roster_template_view, name="roster_template"),
    path("<int:member_id>/", views.member_detail_view, name="member_detail"),
    path("<int:member_id>/edit/", views.member_edit, name="member_edit"),
    path("<int:member_id>/transfer/", views.member_transfer_view, name="member_transfer"),
]
