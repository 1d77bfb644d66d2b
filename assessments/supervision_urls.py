from django.urls import path

from . import supervision_views as views

app_name = "supervision"
urlpatterns = [
    path("", views.visit_list, name="visit_list"),
    path("new/", views.visit_create_view, name="visit_create"),
    path("<int:visit_id>/", views.visit_detail_view, name="visit_detail"),
    path("items/<int:item_id>/update/", views.item_update_view, name="item_update"),
    path("items/<int:item_id>/evidence/", views.evidence_add_view, name="evidence_add"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
]
