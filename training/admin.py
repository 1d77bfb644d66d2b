from django.contrib import admin
from django.db import models

from .models import (
    Attendance,
    CalendarFeed,
    Feedback,
    LeaveRequest,
    Lesson,
    LessonHost,
    LessonMaterial,
    MeetingRule,
    OutsideLecturer,
    Question,
    StudyPlan,
    StudyPlanItem,
    StudyRequirement,
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
