from django.db import models
from django.utils.translation import gettext_lazy as _


class StudyRequirement(models.Model):
    """The year's study-hour requirements and the rules converting a lesson to 学时."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    member_hours = models.DecimalField(_("hours required of members"), max_digits=5, decimal_places=1, default=32)
    committee_hours = models.DecimalField(
        _("hours required of secretaries and committee members"),
        max_digits=5,
        decimal_places=1,
        default=56,
    )
    full_day_hours = models.DecimalField(_("hours for a full day"), max_digits=4, decimal_places=1, default=8)
    half_day_hours = models.DecimalField(_("hours for a half day"), max_digits=4, decimal_places=1, default=4)
    session_hours_per_hour = models.DecimalField(
        _("hours per hour of a branch study session"),
        max_digits=4,
        decimal_places=2,
        default=1,
    )
    full_day_minimum = models.PositiveSmallIntegerField(
        _("a lesson of at least this many hours counts as a full day"),
        default=6,
    )
    half_day_minimum = models.PositiveSmallIntegerField(
        _("a lesson of at least this many hours counts as a half day"),
        default=3,
    )
    note_max_hours = models.DecimalField(
        _("most hours one study note may claim"), max_digits=4, decimal_places=1, default=4
    )
    daily_max_hours = models.DecimalField(
        _("most self-study hours a member may claim for one day"), max_digits=4, decimal_places=1, default=8
    )

    class Meta:
        verbose_name = _("study requirement")
        verbose_name_plural = _("study requirements")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class MeetingRule(models.Model):
    """How often a branch must hold one kind of organisational-life meeting (三会一课)."""

    class Period(models.TextChoices):
        MONTH = "month", _("every month")
        QUARTER = "quarter", _("every quarter")
        YEAR = "year", _("every year")

    kind = models.CharField(_("meeting kind"), max_length=30, unique=True)
    period = models.CharField(_("period"), max_length=10, choices=Period)
    times = models.PositiveSmallIntegerField(_("times per period"), default=1)

    class Meta:
        verbose_name = _("meeting frequency rule")
        verbose_name_plural = _("meeting frequency rules")
        ordering = ["kind"]

    def __str__(self):
        return f"{self.kind} × {self.times} / {self.period}"
