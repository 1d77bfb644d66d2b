import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from training.querysets import LessonQuerySet


def new_checkin_key() -> str:
    return secrets.token_hex(16)


class Lesson(models.Model):
    """A study activity (学习活动), a Party lesson or an organisational-life meeting."""

    class Kind(models.TextChoices):
        CENTRAL_STUDY = "central_study", _("centralised study")
        PARTY_LESSON = "party_lesson", _("Party lesson")
        CENTRAL_GROUP = "central_group", _("central-group study")
        EXPERT_LECTURE = "expert_lecture", _("expert lecture")
        OFFSITE_VISIT = "offsite_visit", _("off-site visit")
        RED_FILM = "red_film", _("red-film screening")
        BOOK_SHARING = "book_sharing", _("book sharing")
        SEMINAR = "seminar", _("seminar")
        THEME_DAY = "theme_day", _("theme Party day")
        ONLINE_COURSE = "online_course", _("online course")
        MEMBERS_MEETING = "members_meeting", _("branch members' meeting")
        COMMITTEE_MEETING = "committee_meeting", _("branch committee meeting")
        GROUP_MEETING = "group_meeting", _("Party cell meeting")
        ORG_LIFE_MEETING = "org_life_meeting", _("organisational-life meeting")

    class Format(models.TextChoices):
        LECTURE = "lecture", _("lecture")
        INTERACTIVE = "interactive", _("interactive")
        SEMINAR = "seminar", _("seminar")
        FIELD = "field", _("field study")
        ONLINE = "online", _("online")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        HELD = "held", _("held")
        CANCELLED = "cancelled", _("cancelled")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=120)
    topic = models.TextField(_("topic"), blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    format = models.CharField(_("format"), max_length=20, choices=Format, default=Format.LECTURE)
    organiser = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        related_name="organised_lessons",
        verbose_name=_("organising branch"),
    )
    start = models.DateTimeField(_("starts at"))
    end = models.DateTimeField(_("ends at"))
    venue = models.ForeignKey(
        "branches.Venue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name=_("venue"),
    )
    outside_place = models.CharField(
        _("outside place"),
        max_length=200,
        blank=True,
        help_text=_("For an off-site visit, e.g. a memorial hall."),
    )
    lecturer_member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons_given",
        verbose_name=_("lecturer (member)"),
    )
    lecturer_outside = models.ForeignKey(
        "training.OutsideLecturer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name=_("lecturer (outside)"),
    )
    credit_hours = models.DecimalField(
        _("credit hours (学时)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0"))],
    )
    credit_hours_reason = models.CharField(
        _("reason for changing the credit hours"),
        max_length=200,
        blank=True,
    )
    grace_minutes = models.PositiveSmallIntegerField(_("late after (minutes)"), default=10)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DRAFT)
    plan_item = models.ForeignKey(
        "training.StudyPlanItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
        verbose_name=_("plan item"),
    )
    party_group = models.CharField(
        _("Party cell"),
        max_length=50,
        blank=True,
        db_default="",
        help_text=_("For a Party cell meeting: the cell whose members attend, as written on their records."),
    )
    extra_audience = models.ManyToManyField(
        "members.Member",
        blank=True,
        related_name="invited_lessons",
        verbose_name=_("also invited"),
    )
    # Minutes (会议记录), for meetings.
    presenter = models.CharField(_("presided by"), max_length=50, blank=True)
    recorder = models.CharField(_("recorded by"), max_length=50, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    checkin_key = models.CharField(max_length=32, default=new_checkin_key, editable=False)
    sequence = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="lesson_ends_after_start"),
            models.CheckConstraint(
                condition=Q(lecturer_member__isnull=True) | Q(lecturer_outside__isnull=True),
                name="lesson_one_lecturer",
            ),
        ]
        indexes = [
            models.Index(fields=["start"]),
            models.Index(fields=["venue", "start"]),
            models.Index(fields=["organiser", "start"]),
            # Upcoming lessons (home page, reminders): the few published ones
            # not yet over, without walking every past lesson by start.
            models.Index(fields=["end"], condition=Q(status="published"), name="lesson_published_end"),
            # Held lessons by date with their kind (dashboards: lessons held per month, 三会一课):
            # an index-only scan on PostgreSQL instead of a heap fetch per lesson of the year.
            models.Index(
                fields=["start"], include=["id", "kind"], condition=Q(status="held"), name="lesson_held_start"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("training:lesson_detail", args=[self.pk])

    @property
    def is_meeting(self) -> bool:
        return self.kind in MEETING_KINDS

    @property
    def place(self) -> str:
        if self.venue_id:
            return self.venue.name
        return self.outside_place

    @property
    def lecturer_name(self) -> str:
        if self.lecturer_member_id:
            return self.lecturer_member.full_name
        if self.lecturer_outside_id:
            return str(self.lecturer_outside)
        return ""


MEETING_KINDS = (
    Lesson.Kind.MEMBERS_MEETING,
    Lesson.Kind.COMMITTEE_MEETING,
    Lesson.Kind.GROUP_MEETING,
    Lesson.Kind.PARTY_LESSON,
    Lesson.Kind.THEME_DAY,
    Lesson.Kind.ORG_LIFE_MEETING,
)


class LessonHost(models.Model):
    """A branch hosting a lesson: the organiser, or a co-host invited to a joint lesson."""

    class Status(models.TextChoices):
        INVITED = "invited", _("invited")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="hosts")
    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="hosted_lessons")
    is_organiser = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.INVITED)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("host branch")
        verbose_name_plural = _("host branches")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "branch"], name="lesson_host_once"),
        ]

    def __str__(self):
        return f"{self.lesson_id} · {self.branch_id} · {self.status}"


class OutsideLecturer(models.Model):
    """A lecturer from outside the bureau, in a pool every branch shares."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    organisation = models.CharField(
        pgettext_lazy("workplace", "organisation"),
        max_length=100,
        help_text=_("e.g. the county Party school"),
    )
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=50, blank=True)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    expertise = models.CharField(_("expertise"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("outside lecturer")
        verbose_name_plural = _("outside lecturers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "organisation"], name="outside_lecturer_unique"),
        ]

    def __str__(self):
        return f"{self.name}（{self.organisation}）" if self.organisation else self.name


class Attendance(models.Model):
    """One audience member at one lesson (签到)."""

    class Status(models.TextChoices):
        UNMARKED = "unmarked", _("not checked in")
        PRESENT = "present", _("present")
        LATE = "late", _("late")
        LEAVE = "leave", _("on leave")
        ABSENT = "absent", _("absent")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="attendances")
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.UNMARKED)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "member"], name="attendance_once_per_lesson"),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self):
        return f"{self.lesson_id} · {self.member_id} · {self.status}"


class LeaveRequest(models.Model):
    """A member asking, before the start, to be excused from a lesson (请假)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="leave_requests")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="leave_requests")
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "member"], name="leave_once_per_lesson"),
        ]

    def __str__(self):
        return f"{self.lesson_id} · {self.member_id} · {self.status}"


class Feedback(models.Model):
    """An attendee's rating of a lesson, with a comment (one per member and lesson)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="feedback")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="lesson_feedback")
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "member"], name="feedback_once_per_lesson"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"),
        ]

    def __str__(self):
        return f"{self.lesson_id} · {self.rating}"

    @property
    def stars(self) -> str:
        return "★" * self.rating


class Question(models.Model):
    """A question an attendee asks about a lesson, answered by the organiser."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="lesson_questions")
    text = models.TextField(_("question"), max_length=2000)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    answer = models.TextField(_("answer"), blank=True, max_length=4000)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The question wall of the live session: moderation and upvotes.
    on_wall = models.BooleanField(_("asked on the question wall"), default=False)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    answered_live = models.BooleanField(_("answered in the lesson"), default=False)
    upvotes = models.PositiveIntegerField(_("upvotes"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:40]


def material_path(instance, filename):
    return f"lessons/{instance.lesson_id}/{uuid.uuid4().hex}/{filename}"


class LessonMaterial(models.Model):
    """A file or link for a lesson's audience."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to=material_path, blank=True, max_length=300)
    url = models.URLField(_("link"), blank=True)
    size = models.PositiveIntegerField(default=0, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="material_file_or_link",
            ),
        ]

    def __str__(self):
        return self.title


class StudyPlan(models.Model):
    """A branch's annual study plan (年度学习计划)."""

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="study_plans")
    year = models.PositiveSmallIntegerField(_("year"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("annual study plan")
        verbose_name_plural = _("annual study plans")
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="study_plan_once_per_year")]

    def __str__(self):
        return f"{self.branch_id} · {self.year}"


class StudyPlanItem(models.Model):
    plan = models.ForeignKey(StudyPlan, on_delete=models.CASCADE, related_name="items")
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    topic = models.CharField(_("topic"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Lesson.Kind)
    planned_hours = models.DecimalField(_("planned hours"), max_digits=4, decimal_places=1, default=1)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["month", "pk"]

    def __str__(self):
        return f"{self.month}: {self.topic}"


class CalendarFeed(models.Model):
    """A member's private iCalendar feed; resetting the token revokes old links."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=43, unique=True, default=secrets.token_urlsafe)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.member_id)
