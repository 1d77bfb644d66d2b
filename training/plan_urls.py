from django.urls import path

from . import plan_views

app_name = "plans"
urlpatterns = [
    path("<int:branch_id>/<int:year>/", plan_views.plan_detail, name="plan_detail"),
    path("<int:branch_id>/<int:year>/items/", plan_views.plan_item_add_view, name="plan_item_add"),
    path("items/<int:item_id>/delete/", plan_views.plan_item_delete_view, name="plan_item_delete"),
    path("rules/<int:year>/", plan_views.rules_edit, name="rules_edit"),
]
