from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class AssessmentScheme(models.Model):
    """The year's assessment rules; the hour requirements by role live in training.StudyRequirement."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    required_self_study_hours = models.DecimalField(
        _("required self-study hours"), max_digits=5, decimal_places=1, default=12
    )
    required_notes = models.PositiveSmallIntegerField(_("required passed notes"), default=4)
    weight_attendance = models.PositiveSmallIntegerField(_("weight: attendance"), default=30)
    weight_centralised = models.PositiveSmallIntegerField(_("weight: centralised hours"), default=20)
    weight_self_study = models.PositiveSmallIntegerField(_("weight: self-study"), default=20)
    weight_note_quality = models.PositiveSmallIntegerField(_("weight: note quality"), default=15)
    weight_branch_rating = models.PositiveSmallIntegerField(_("weight: branch rating"), default=15)
    excellent_share_max = models.DecimalField(
        _("largest share of a branch rated excellent"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.333"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    excellent_needs_hours = models.BooleanField(
        _("excellent only for members who met the hour requirement"), default=True
    )

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    weight_attendance__lte=100,
                    weight_centralised__lte=100,
                    weight_self_study__lte=100,
                    weight_note_quality__lte=100,
                    weight_branch_rating__lte=100,
                ),
                name="scheme_weights_at_most_100",
            ),
        ]

    def __str__(self):
        return str(self.year)

    @property
    def weight_total(self) -> int:
        return (
            self.weight_attendance
            + self.weight_centralised
            + self.weight_self_study
            + self.weight_note_quality
            + self.weight_branch_rating
        )


class BranchAssessment(models.Model):
    """A branch's year-end assessment as a whole: draft → submitted → confirmed (then read-only)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("being filled in")
        SUBMITTED = "submitted", _("submitted by the branch")
        CONFIRMED = "confirmed", _("confirmed by leadership")

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="assessments")
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DRAFT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.CharField(_("reason for reopening"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("branch assessment")
        verbose_name_plural = _("branch assessments")
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="branch_assessment_once_per_year")]

    def __str__(self):
        return f"{self.branch_id} · {self.year}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.CONFIRMED


class YearEndAssessment(models.Model):
    """One member's year-end assessment (年终考核): indicators computed from the records, and the verdicts."""

    class Evaluation(models.TextChoices):
        EXCELLENT = "excellent", _("excellent (优秀)")
        QUALIFIED = "qualified", _("qualified (合格)")
        BASIC = "basic", _("basically qualified (基本合格)")
        UNQUALIFIED = "unqualified", _("unqualified (不合格)")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="assessments")
    year = models.PositiveSmallIntegerField(_("year"))
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        related_name="member_assessments",
        help_text=_("The branch the member belonged to at the end of the year."),
    )
    role = models.CharField(_("role"), max_length=20, default="member")  # "member" or "committee"
    required_hours = models.DecimalField(_("required hours"), max_digits=5, decimal_places=1, default=0)
    # Indicators, recomputed in bulk from the records.
    lessons_total = models.PositiveIntegerField(_("lessons in the audience"), default=0)
    lessons_attended = models.PositiveIntegerField(_("lessons attended"), default=0)
    attendance_rate = models.DecimalField(_("attendance rate"), max_digits=5, decimal_places=4, null=True)
    centralised_hours = models.DecimalField(_("centralised hours"), max_digits=6, decimal_places=1, default=0)
    self_study_hours = models.DecimalField(_("self-study hours"), max_digits=6, decimal_places=1, default=0)
    online_hours = models.DecimalField(_("online hours"), max_digits=6, decimal_places=1, default=0)
    total_hours = models.DecimalField(_("total hours"), max_digits=6, decimal_places=1, default=0)
    notes_submitted = models.PositiveIntegerField(_("notes submitted"), default=0)
    notes_passed = models.PositiveIntegerField(_("notes passed"), default=0)
    notes_excellent = models.PositiveIntegerField(_("notes graded excellent"), default=0)
    notes_good = models.PositiveIntegerField(_("notes graded good"), default=0)
    notes_pass = models.PositiveIntegerField(_("notes graded pass"), default=0)
    assignments_total = models.PositiveIntegerField(_("assignments"), default=0)
    assignments_on_time = models.PositiveIntegerField(_("assignments done on time"), default=0)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, default=0)
    computed_at = models.DateTimeField(_("indicators computed at"), null=True, blank=True)
    # Verdicts.
    self_summary = models.TextField(_("self-summary (个人总结)"), blank=True)
    branch_rating = models.PositiveSmallIntegerField(
        _("branch rating (0–100)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    evaluation = models.CharField(_("democratic evaluation"), max_length=20, choices=Evaluation, blank=True)

    class Meta:
        verbose_name = _("year-end assessment")
        verbose_name_plural = _("year-end assessments")
        ordering = ["year", "branch", "member"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="assessment_once_per_year"),
            models.CheckConstraint(condition=Q(score__lte=100), name="assessment_score_max_100"),
        ]
        indexes = [models.Index(fields=["year", "branch"])]

    def __str__(self):
        return f"{self.member_id} · {self.year}"

    def get_absolute_url(self):
        return reverse("assessments:member_result", args=[self.member_id, self.year])

    @property
    def meets_hours(self) -> bool:
        return self.total_hours >= self.required_hours
