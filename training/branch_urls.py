from django.urls import path

from . import branch_views

app_name = "branches"
urlpatterns = [
    path("", branch_views.branch_list, name="branch_list"),
    path("<int:branch_id>/", branch_views.branch_detail_view, name="branch_detail"),
]
