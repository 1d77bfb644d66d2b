from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StudyResource(models.Model):
    """A book, film, article, video, online course or policy document worth studying (学习资源)."""

    class Kind(models.TextChoices):
        BOOK = "book", _("book")
        RED_FILM = "red_film", _("red classic film")
        FILM = "film", _("film")
        ARTICLE = "article", _("article")
        VIDEO = "video", _("video")
        ONLINE_COURSE = "online_course", _("online course")
        POLICY = "policy", _("policy document")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    author = models.CharField(_("author or source"), max_length=100, blank=True)
    url = models.URLField(_("link"), blank=True)
    description = models.TextField(_("description"), blank=True)
    recommended_by = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendations",
        verbose_name=_("recommended by"),
    )
    recommendation = models.TextField(_("why it is recommended"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("study resource")
        verbose_name_plural = _("study resources")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("selfstudy:resource_detail", args=[self.pk])


class Assignment(models.Model):
    """Self-study assigned to members (自学任务); make-up study (补学) for a missed lesson is one too."""

    class Kind(models.TextChoices):
        SELF_STUDY = "self_study", _("self-study")
        MAKE_UP = "make_up", _("make-up study")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.SELF_STUDY)
    topic = models.TextField(_("what to study"), blank=True)
    resource = models.ForeignKey(
        StudyResource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("resource"),
    )
    lesson = models.ForeignKey(
        "training.Lesson",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="make_up_assignments",
        verbose_name=_("missed lesson"),
    )
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("assigned by branch"),
        help_text=_("Empty for an assignment from leadership to the bureau."),
    )
    due_on = models.DateField(_("due on"))
    min_hours = models.DecimalField(
        _("minimum hours"),
        max_digits=4,
        decimal_places=1,
        default=1,
        validators=[MinValueValidator(0)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson"],
                condition=Q(kind="make_up"),
                name="assignment_one_make_up_per_lesson",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("selfstudy:assignment_detail", args=[self.pk])


class AssignmentTarget(models.Model):
    """One member's copy of an assignment; done when a note on it passes review."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("assignment status", "open")
        DONE = "done", pgettext_lazy("assignment status", "done")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="targets")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="assignment_targets")
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    reason = models.CharField(_("reason"), max_length=20, blank=True)  # for make-up: "absent" or "leave"
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assigned member")
        verbose_name_plural = _("assigned members")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "member"], name="assignment_target_once"),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self):
        return f"{self.assignment_id} · {self.member_id}"


class StudyNote(models.Model):
    """A member's study note (学习笔记) or reflection (心得体会), reviewed by their branch."""

    class Kind(models.TextChoices):
        NOTE = "note", _("study note")
        REFLECTION = "reflection", _("reflection")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("waiting for review")
        RETURNED = "returned", _("returned for revision")
        PASSED = "passed", _("passed")

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("excellent (优)")
        GOOD = "good", _("good (良)")
        PASS = "pass", _("pass (合格)")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="study_notes")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.NOTE)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown: **bold**, - lists, > quotes."))
    study_date = models.DateField(_("study date"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0)],
    )
    lesson = models.ForeignKey(
        "training.Lesson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="study_notes",
        verbose_name=_("lesson"),
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="study_notes",
        verbose_name=_("assignment"),
    )
    resource = models.ForeignKey(
        StudyResource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="study_notes",
        verbose_name=_("resource"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DRAFT)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade, blank=True)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    similar_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("similar to"),
    )
    similarity = models.PositiveSmallIntegerField(_("similarity (%)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("study note")
        verbose_name_plural = _("study notes")
        ordering = ["-study_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="passed") | ~Q(grade=""),
                name="study_note_passed_has_grade",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["member", "study_date"]),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("selfstudy:note_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class StudyNoteVersion(models.Model):
    """The text of a note as it was at each submission, kept for the reviewer."""

    note = models.ForeignKey(StudyNote, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    study_date = models.DateField(_("study date"))
    submitted_at = models.DateTimeField(_("submitted at"))
    review_comment = models.TextField(_("reviewer's comment"), blank=True)

    class Meta:
        verbose_name = _("note version")
        verbose_name_plural = _("note versions")
        ordering = ["note", "-number"]
        constraints = [models.UniqueConstraint(fields=["note", "number"], name="note_version_once")]

    def __str__(self):
        return f"{self.note_id} v{self.number}"


class NoteFingerprint(models.Model):
    """One hashed text shingle of a submitted note, to find copied notes with an index, not a scan."""

    note = models.ForeignKey(StudyNote, on_delete=models.CASCADE, related_name="fingerprints")
    value = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "value"], name="note_fingerprint_once")]
        indexes = [models.Index(fields=["value"])]

    def __str__(self):
        return f"{self.note_id}:{self.value}"


class OnlineStudyRecord(models.Model):
    """Hours from an outside learning platform, imported from its export file."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="online_records")
    study_date = models.DateField(_("study date"))
    course = models.CharField(_("course"), max_length=200)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    source = models.CharField(_("source file"), max_length=200, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("online study record")
        verbose_name_plural = _("online study records")
        ordering = ["-study_date", "pk"]
        constraints = [
            # Importing the same file again adds nothing.
            models.UniqueConstraint(fields=["member", "study_date", "course"], name="online_record_once"),
        ]
        indexes = [models.Index(fields=["member", "study_date"])]

    def __str__(self):
        return f"{self.member_id} {self.study_date} {self.course}"
