"""The figures ledger: stored figures per member and year and per branch and month.

Written only by training.services.figures, from the definitions in its
docstring; every page, export and report that shows one of these figures
reads it from here. A NULL rate means "nothing to count" and is shown as "—".
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

HOURS = {"max_digits": 7, "decimal_places": 1, "default": 0}


class MemberYearFigures(models.Model):
    """One member's figures for one year (the members assessed that year: members on its reference day)."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="year_figures")
    year = models.PositiveSmallIntegerField(_("year"))
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        related_name="member_year_figures",
        help_text=_("The branch the member belonged to on the year's reference day."),
    )
    role = models.CharField(_("role"), max_length=20, default="member")  # "member" or "committee"
    required_hours = models.DecimalField(_("required hours"), max_digits=5, decimal_places=1, default=0)
    lessons_total = models.PositiveIntegerField(_("lessons in the audience"), default=0)
    lessons_attended = models.PositiveIntegerField(_("lessons attended"), default=0)
    attendance_rate = models.DecimalField(_("attendance rate"), max_digits=5, decimal_places=4, null=True)
    centralised_hours = models.DecimalField(_("centralised hours"), **HOURS)
    self_study_hours = models.DecimalField(_("self-study hours"), **HOURS)
    online_hours = models.DecimalField(_("online hours"), **HOURS)
    total_hours = models.DecimalField(_("total hours"), **HOURS)
    # Twelve [centralised, self-study, online] triples (strings), January first.
    month_hours = models.JSONField(default=list)
    notes_draft = models.PositiveIntegerField(default=0)
    notes_waiting = models.PositiveIntegerField(default=0)
    notes_returned = models.PositiveIntegerField(default=0)
    notes_submitted = models.PositiveIntegerField(_("notes submitted"), default=0)
    notes_passed = models.PositiveIntegerField(_("notes passed"), default=0)
    notes_excellent = models.PositiveIntegerField(default=0)
    notes_good = models.PositiveIntegerField(default=0)
    notes_pass = models.PositiveIntegerField(default=0)
    assignments_total = models.PositiveIntegerField(_("assignments"), default=0)
    assignments_on_time = models.PositiveIntegerField(_("assignments done on time"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("member figures")
        verbose_name_plural = _("member figures")
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="member_figures_once_per_year")]
        indexes = [models.Index(fields=["year", "branch"])]

    def __str__(self):
        return f"{self.member_id} · {self.year}"

    @property
    def meets_hours(self) -> bool:
        return self.total_hours >= self.required_hours


class BranchMonthFigures(models.Model):
    """One branch's figures for one month; the row with no branch is the whole bureau."""

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, null=True, related_name="month_figures")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    lessons_held = models.PositiveIntegerField(_("lessons held"), default=0)
    attendance_rows = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    notes_submitted = models.PositiveIntegerField(default=0)
    notes_passed = models.PositiveIntegerField(default=0)
    notes_reviewed = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("branch figures by month")
        verbose_name_plural = _("branch figures by month")
        constraints = [
            models.UniqueConstraint(fields=["branch", "year", "month"], name="branch_month_figures_once"),
            models.UniqueConstraint(
                fields=["year", "month"], condition=models.Q(branch__isnull=True), name="bureau_month_figures_once"
            ),
        ]

    def __str__(self):
        return f"{self.branch_id or 'bureau'} · {self.year}-{self.month:02d}"


class BranchInteractionFigures(models.Model):
    """Interactive-lesson figures of one organising branch (NULL: the whole bureau) for one year.

    Written only by training.services.interaction_figures, from the
    definitions in its docstring.
    """

    branch = models.ForeignKey(
        "branches.Branch", on_delete=models.CASCADE, null=True, blank=True, related_name="interaction_figures"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    lessons_held = models.PositiveIntegerField(_("lessons held"), default=0)
    lessons_interactive = models.PositiveIntegerField(_("lessons held with interaction"), default=0)
    answer_slots = models.PositiveIntegerField(_("possible answers"), default=0)
    answers = models.PositiveIntegerField(_("answers"), default=0)
    quiz_results = models.PositiveIntegerField(_("quiz results"), default=0)
    quiz_score_sum = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("interaction figures")
        verbose_name_plural = _("interaction figures")
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="interaction_figures_once"),
            models.UniqueConstraint(
                fields=["year"], condition=models.Q(branch__isnull=True), name="interaction_figures_bureau_once"
            ),
        ]

    def __str__(self):
        return f"{self.branch_id or '—'} · {self.year}"

    @property
    def interactive_share(self):
        """Lessons held with interaction ÷ lessons held, in percent; None with no lessons."""
        return round(100 * self.lessons_interactive / self.lessons_held) if self.lessons_held else None

    @property
    def participation(self):
        """Answers ÷ (members present × questions opened), in percent."""
        return round(100 * self.answers / self.answer_slots) if self.answer_slots else None

    @property
    def quiz_average(self):
        return round(self.quiz_score_sum / self.quiz_results, 1) if self.quiz_results else None
