from django.contrib import admin
from django.db import models

from training.models import (
    Assignment,
    AssignmentTarget,
    Attendance,
    CalendarFeed,
    Feedback,
    LeaveRequest,
    Lesson,
    LessonHost,
    LessonMaterial,
    MeetingRule,
    NoteFingerprint,
    OnlineStudyRecord,
    OutsideLecturer,
    Question,
    StudyNote,
    StudyNoteVersion,
    StudyPlan,
    StudyPlanItem,
    StudyRequirement,
    StudyResource,
)


class LessonHostInline(admin.TabularInline):
    model = LessonHost
    extra = 0
    autocomplete_fields = ["branch"]
    readonly_fields = ["responded_by", "responded_at"]


class LessonMaterialInline(admin.TabularInline):
    model = LessonMaterial
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["size", "uploaded_by"]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "organiser", "start", "venue", "status", "credit_hours"]
    list_filter = ["status", "kind", "format", "organiser"]
    search_fields = ["title", "topic", "organiser__name"]
    date_hierarchy = "start"
    list_select_related = ["organiser", "venue"]
    autocomplete_fields = ["organiser", "venue", "lecturer_member", "lecturer_outside", "extra_audience", "plan_item"]
    readonly_fields = ["uid", "sequence", "created_by", "created_at", "updated_at"]
    inlines = [LessonHostInline, LessonMaterialInline]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["lesson", "member", "status", "checked_in_at", "marked_by"]
    list_filter = ["status"]
    search_fields = ["lesson__title", "member__full_name"]
    list_select_related = ["lesson", "member", "marked_by"]
    autocomplete_fields = ["lesson", "member"]
    readonly_fields = ["marked_by"]


@admin.register(LeaveRequest)
class LeaveRequestAdmin(admin.ModelAdmin):
    list_display = ["lesson", "member", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["lesson__title", "member__full_name", "reason"]
    list_select_related = ["lesson", "member", "decided_by"]
    autocomplete_fields = ["lesson", "member"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["lesson", "member", "rating", "is_anonymous", "created_at"]
    list_filter = ["rating", "is_anonymous"]
    search_fields = ["lesson__title", "comment"]
    list_select_related = ["lesson", "member"]
    autocomplete_fields = ["lesson", "member"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["lesson", "member", "is_anonymous", "created_at", "answered_at"]
    search_fields = ["lesson__title", "text", "answer"]
    list_select_related = ["lesson", "member"]
    autocomplete_fields = ["lesson", "member"]


@admin.register(OutsideLecturer)
class OutsideLecturerAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "title", "expertise"]
    search_fields = ["name", "organisation", "expertise"]


class StudyPlanItemInline(admin.TabularInline):
    model = StudyPlanItem
    extra = 0


@admin.register(StudyPlan)
class StudyPlanAdmin(admin.ModelAdmin):
    list_display = ["branch", "year"]
    list_filter = ["year"]
    search_fields = ["branch__name"]
    list_select_related = ["branch"]
    autocomplete_fields = ["branch"]
    inlines = [StudyPlanItemInline]


@admin.register(StudyPlanItem)
class StudyPlanItemAdmin(admin.ModelAdmin):
    list_display = ["plan", "month", "topic", "kind", "planned_hours"]
    list_filter = ["kind", "month"]
    search_fields = ["topic", "plan__branch__name"]
    list_select_related = ["plan", "plan__branch"]
    autocomplete_fields = ["plan"]


@admin.register(StudyRequirement)
class StudyRequirementAdmin(admin.ModelAdmin):
    list_display = ["year", "member_hours", "committee_hours", "full_day_hours", "half_day_hours"]


@admin.register(MeetingRule)
class MeetingRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "period", "times"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["member", "created_at"]
    search_fields = ["member__full_name"]
    list_select_related = ["member"]
    autocomplete_fields = ["member"]
    readonly_fields = ["token"]


@admin.register(StudyResource)
class StudyResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "author", "recommended_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["title", "author", "recommendation"]
    list_select_related = ["recommended_by"]
    autocomplete_fields = ["recommended_by"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class AssignmentTargetInline(admin.TabularInline):
    model = AssignmentTarget
    extra = 0
    autocomplete_fields = ["member"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "branch", "due_on", "min_hours"]
    list_filter = ["kind", "branch"]
    search_fields = ["title", "topic"]
    list_select_related = ["branch"]
    autocomplete_fields = ["branch", "resource", "lesson"]
    inlines = [AssignmentTargetInline]


@admin.register(AssignmentTarget)
class AssignmentTargetAdmin(admin.ModelAdmin):
    list_display = ["assignment", "member", "status", "completed_at"]
    list_filter = ["status"]
    search_fields = ["assignment__title", "member__full_name"]
    list_select_related = ["assignment", "member"]
    autocomplete_fields = ["assignment", "member"]


class StudyNoteVersionInline(admin.TabularInline):
    model = StudyNoteVersion
    extra = 0
    readonly_fields = ["number", "title", "hours", "study_date", "submitted_at", "review_comment"]
    exclude = ["body"]


@admin.register(StudyNote)
class StudyNoteAdmin(admin.ModelAdmin):
    list_display = ["title", "member", "kind", "status", "grade", "study_date", "hours", "similarity"]
    list_filter = ["status", "kind", "grade"]
    search_fields = ["title", "member__full_name"]
    list_select_related = ["member"]
    autocomplete_fields = ["member", "lesson", "assignment", "resource"]
    readonly_fields = ["similar_to", "similarity", "reviewed_by", "reviewed_at", "submitted_at"]
    inlines = [StudyNoteVersionInline]


@admin.register(StudyNoteVersion)
class StudyNoteVersionAdmin(admin.ModelAdmin):
    list_display = ["note", "number", "submitted_at"]
    search_fields = ["note__title"]
    list_select_related = ["note"]
    readonly_fields = ["note", "number", "title", "body", "hours", "study_date", "submitted_at", "review_comment"]


@admin.register(NoteFingerprint)
class NoteFingerprintAdmin(admin.ModelAdmin):
    list_display = ["note", "value"]
    list_select_related = ["note"]
    readonly_fields = ["note", "value"]


@admin.register(OnlineStudyRecord)
class OnlineStudyRecordAdmin(admin.ModelAdmin):
    list_display = ["member", "study_date", "course", "hours", "source", "imported_at"]
    list_filter = ["study_date"]
    search_fields = ["member__full_name", "course", "source"]
    list_select_related = ["member"]
    autocomplete_fields = ["member"]
