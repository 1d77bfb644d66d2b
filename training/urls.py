from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("lessons/", views.lesson_list, name="lesson_list"),
    path("lessons/new/", views.lesson_create, name="lesson_create"),
    path("lessons/<int:lesson_id>/", views.lesson_detail, name="lesson_detail"),
    path("lessons/<int:lesson_id>/edit/", views.lesson_edit, name="lesson_edit"),
    path("lessons/<int:lesson_id>/publish/", views.lesson_publish_view, name="lesson_publish"),
    path("lessons/<int:lesson_id>/cancel/", views.lesson_cancel_view, name="lesson_cancel"),
    path("lessons/<int:lesson_id>/close/", views.lesson_close_view, name="lesson_close"),
    path("lessons/<int:lesson_id>/invitation/", views.invitation_respond_view, name="invitation_respond"),
    path("lessons/<int:lesson_id>/attendance/", views.attendance_view, name="attendance"),
    path("lessons/<int:lesson_id>/projector/", views.projector_view, name="projector"),
    path("lessons/<int:lesson_id>/projector/code/", views.projector_code, name="projector_code"),
    path("lessons/<int:lesson_id>/projector/list/", views.projector_list, name="projector_list"),
    path("lessons/<int:lesson_id>/check-in/<str:token>/", views.check_in_view, name="check_in"),
    path("check-in/resume/", views.check_in_resume, name="check_in_resume"),
    path("lessons/<int:lesson_id>/leave/", views.leave_request_view, name="leave_request"),
    path("leave/<int:leave_id>/decide/", views.leave_decide_view, name="leave_decide"),
    path("lessons/<int:lesson_id>/feedback/", views.feedback_view, name="feedback"),
    path("lessons/<int:lesson_id>/questions/", views.question_view, name="question_ask"),
    path("questions/<int:question_id>/answer/", views.answer_view, name="question_answer"),
    path("lessons/<int:lesson_id>/materials/", views.material_add_view, name="material_add"),
    path("materials/<int:material_id>/", views.material_download, name="material_download"),
    path("lessons/<int:lesson_id>/sign-in-sheet.pdf", views.sign_in_sheet, name="sign_in_sheet"),
    path("lecturers/search/", views.lecturer_search, name="lecturer_search"),
]
