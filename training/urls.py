"""Every URL of the training app, grouped by area; each group keeps its namespace."""

from django.urls import include, path

from training.views import branches, calendars, lessons, live, online, plans, progress, quizzes, study, topics

branch_patterns = [
    path("", branches.branch_list, name="branch_list"),
    path("<int:branch_id>/", branches.branch_detail_view, name="branch_detail"),
]

plan_patterns = [
    path("<int:branch_id>/<int:year>/", plans.plan_detail, name="plan_detail"),
    path("<int:branch_id>/<int:year>/items/", plans.plan_item_add_view, name="plan_item_add"),
    path("items/<int:item_id>/delete/", plans.plan_item_delete_view, name="plan_item_delete"),
    path("rules/<int:year>/", plans.rules_edit, name="rules_edit"),
]

calendar_patterns = [
    path("", calendars.calendar_view, name="calendar_view"),
    path("feed/", calendars.feed_page, name="feed_page"),
    path("feed/reset/", calendars.feed_reset, name="feed_reset"),
    path("<str:token>.ics", calendars.feed_ics, name="feed_ics"),
]

lesson_patterns = [
    path("lessons/", lessons.lesson_list, name="lesson_list"),
    path("lessons/new/", lessons.lesson_create, name="lesson_create"),
    path("lessons/<int:lesson_id>/", lessons.lesson_detail, name="lesson_detail"),
    path("lessons/<int:lesson_id>/edit/", lessons.lesson_edit, name="lesson_edit"),
    path("lessons/<int:lesson_id>/publish/", lessons.lesson_publish_view, name="lesson_publish"),
    path("lessons/<int:lesson_id>/cancel/", lessons.lesson_cancel_view, name="lesson_cancel"),
    path("lessons/<int:lesson_id>/close/", lessons.lesson_close_view, name="lesson_close"),
    path("lessons/<int:lesson_id>/invitation/", lessons.invitation_respond_view, name="invitation_respond"),
    path("lessons/<int:lesson_id>/attendance/", lessons.attendance_view, name="attendance"),
    path("lessons/<int:lesson_id>/projector/", lessons.projector_view, name="projector"),
    path("lessons/<int:lesson_id>/projector/code/", lessons.projector_code, name="projector_code"),
    path("lessons/<int:lesson_id>/projector/list/", lessons.projector_list, name="projector_list"),
    path("lessons/<int:lesson_id>/check-in/<str:token>/", lessons.check_in_view, name="check_in"),
    path("check-in/resume/", lessons.check_in_resume, name="check_in_resume"),
    path("lessons/<int:lesson_id>/leave/", lessons.leave_request_view, name="leave_request"),
    path("leave/<int:leave_id>/decide/", lessons.leave_decide_view, name="leave_decide"),
    path("lessons/<int:lesson_id>/feedback/", lessons.feedback_view, name="feedback"),
    path("lessons/<int:lesson_id>/questions/", lessons.question_view, name="question_ask"),
    path("questions/<int:question_id>/answer/", lessons.answer_view, name="question_answer"),
    path("lessons/<int:lesson_id>/materials/", lessons.material_add_view, name="material_add"),
    path("materials/<int:material_id>/", lessons.material_download, name="material_download"),
    path("lessons/<int:lesson_id>/sign-in-sheet.pdf", lessons.sign_in_sheet, name="sign_in_sheet"),
    path("lecturers/search/", lessons.lecturer_search, name="lecturer_search"),
    # The live session: control, projector and the members' phones.
    path("lessons/<int:lesson_id>/live/", live.live_phone, name="live_phone"),
    path("lessons/<int:lesson_id>/live/items/", live.live_phone_items, name="live_phone_items"),
    path("lessons/<int:lesson_id>/live/wall/", live.live_phone_wall, name="live_phone_wall"),
    path("lessons/<int:lesson_id>/live/wall/post/", live.wall_post_view, name="wall_post"),
    path("live/answer/<int:item_id>/", live.live_answer_view, name="live_answer"),
    path("live/questions/<int:question_id>/upvote/", live.wall_upvote_view, name="wall_upvote"),
    path("lessons/<int:lesson_id>/live/control/", live.live_control, name="live_control"),
    path("lessons/<int:lesson_id>/live/control/add/", live.live_item_add, name="live_item_add"),
    path("lessons/<int:lesson_id>/live/bank/", live.live_bank_add, name="live_bank_add"),
    path("lessons/<int:lesson_id>/live/pass-mark/", live.live_pass_mark_view, name="live_pass_mark"),
    path("live/items/<int:item_id>/<str:action>/", live.live_item_action, name="live_item_action"),
    path("live/questions/<int:question_id>/<str:action>/", live.wall_moderate_view, name="wall_moderate"),
    path("lessons/<int:lesson_id>/live/presenter/", live.live_presenter, name="live_presenter"),
    path("lessons/<int:lesson_id>/live/presenter/state/", live.live_presenter_state, name="live_presenter_state"),
    path("lessons/<int:lesson_id>/live/summary.pdf", live.live_summary_pdf_view, name="live_summary_pdf"),
]

progress_patterns = [
    path("me/", progress.my_progress, name="my_progress"),
    path("branches/<int:branch_id>/", progress.branch_progress_view, name="branch_progress"),
]

online_patterns = [
    path("", online.hours_import, name="hours_import"),
    path("confirm/", online.hours_import_confirm, name="hours_import_confirm"),
    path("records/", online.record_list, name="record_list"),
]

study_patterns = [
    path("notes/", study.note_list, name="note_list"),
    path("notes/new/", study.note_create, name="note_create"),
    path("notes/<int:note_id>/", study.note_detail, name="note_detail"),
    path("notes/<int:note_id>/edit/", study.note_edit, name="note_edit"),
    path("notes/<int:note_id>/submit/", study.note_submit_view, name="note_submit"),
    path("notes/<int:note_id>/review/", study.note_review_view, name="note_review"),
    path("review/", study.review_queue, name="review_queue"),
    path("resources/", study.resource_list, name="resource_list"),
    path("resources/new/", study.resource_create_view, name="resource_create"),
    path("resources/<int:resource_id>/", study.resource_detail, name="resource_detail"),
    path("assignments/", study.assignment_list, name="assignment_list"),
    path("assignments/new/", study.assignment_create_view, name="assignment_create"),
    path("assignments/<int:assignment_id>/", study.assignment_detail, name="assignment_detail"),
]

quiz_patterns = [
    path("bank/", quizzes.bank_list, name="bank_list"),
    path("bank/import/", quizzes.bank_import, name="bank_import"),
    path("bank/import/confirm/", quizzes.bank_import_confirm, name="bank_import_confirm"),
    path("bank/export.xlsx", quizzes.bank_export, name="bank_export"),
    path("knowledge/", quizzes.knowledge_list, name="knowledge_list"),
    path("knowledge/new/", quizzes.knowledge_create, name="knowledge_create"),
    path("knowledge/<int:quiz_id>/", quizzes.knowledge_detail, name="knowledge_detail"),
    path("make-up/<int:lesson_id>/", quizzes.make_up_quiz, name="make_up_quiz"),
]

topic_patterns = [
    path("", topics.survey_list, name="survey_list"),
    path("new/", topics.survey_create, name="survey_create"),
    path("<int:survey_id>/", topics.survey_detail, name="survey_detail"),
    path("<int:survey_id>/propose/", topics.topic_propose_view, name="topic_propose"),
    path("proposals/<int:proposal_id>/vote/", topics.topic_vote_view, name="topic_vote"),
    path("proposals/<int:proposal_id>/link/", topics.topic_link_view, name="topic_link"),
]

urlpatterns = [
    path("branches/", include((branch_patterns, "branches"))),
    path("plans/", include((plan_patterns, "plans"))),
    path("calendar/", include((calendar_patterns, "calendar"))),
    path("training/", include((lesson_patterns, "training"))),
    path("progress/", include((progress_patterns, "progress"))),
    path("online-hours/", include((online_patterns, "online"))),
    path("study/", include((study_patterns, "selfstudy"))),
    path("quizzes/", include((quiz_patterns, "quizzes"))),
    path("topics/", include((topic_patterns, "topics"))),
]
