from django.urls import path

from . import awards_views

app_name = "awards"
urlpatterns = [
    path("stars/<int:year>/", awards_views.star_list, name="star_list"),
    path("stars/<int:year>/award/", awards_views.star_award_view, name="star_award"),
    path("stars/awards/<int:award_id>/withdraw/", awards_views.star_award_withdraw_view, name="star_award_withdraw"),
    path("ratings/<int:year>/", awards_views.rating_list, name="rating_list"),
    path("ratings/<int:year>/<int:branch_id>/", awards_views.rating_detail, name="rating_detail"),
    path("config/", awards_views.awards_config, name="config"),
]
