"""The figures ledger's branch-and-year rows: a branch's year-end figures added up once, not on every page.

Written only by assessments.services.branch_figures, from the year-end rows,
the ledger's month rows and the study plan (the definitions are in
training/services/figures.py and assessments/services/indicators.py); the
dashboards read them instead of adding up every member's row on each request.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models.yearend import YearEndAssessment

# (field, share of the requirement): members whose total hours reach it.
HOUR_SHARES = [
    ("hours_at_quarter", Decimal("0.25")),
    ("hours_at_half", Decimal("0.5")),
    ("hours_at_three_quarters", Decimal("0.75")),
    ("meets_hours", Decimal("1")),
]
EVALUATION_FIELDS = {
    YearEndAssessment.Evaluation.EXCELLENT: "evaluated_excellent",
    YearEndAssessment.Evaluation.QUALIFIED: "evaluated_qualified",
    YearEndAssessment.Evaluation.BASIC: "evaluated_basic",
    YearEndAssessment.Evaluation.UNQUALIFIED: "evaluated_unqualified",
    "": "not_evaluated",
}

COUNT = {"default": 0}
SUM = {"max_digits": 12, "decimal_places": 1, "default": 0}


class BranchYearFigures(models.Model):
    """One branch's figures for one year: its year-end rows and month rows, summed."""

    branch = models.ForeignKey("branches.Branch", on_delete=models.CASCADE, related_name="year_figures")
    year = models.PositiveSmallIntegerField(_("year"))
    # From the year-end rows of the branch (members assessed in it that year).
    members = models.PositiveIntegerField(_("members"), **COUNT)
    total_hours = models.DecimalField(_("total hours"), **SUM)
    # Members with total hours at or above a quarter, half, three quarters and all of their requirement.
    hours_at_quarter = models.PositiveIntegerField(**COUNT)
    hours_at_half = models.PositiveIntegerField(**COUNT)
    hours_at_three_quarters = models.PositiveIntegerField(**COUNT)
    meets_hours = models.PositiveIntegerField(_("members who met the hour requirement"), **COUNT)
    notes_submitted = models.PositiveIntegerField(_("notes submitted"), **COUNT)
    notes_passed = models.PositiveIntegerField(_("notes passed"), **COUNT)
    score_sum = models.DecimalField(_("sum of scores"), **SUM)
    evaluated_excellent = models.PositiveIntegerField(**COUNT)
    evaluated_qualified = models.PositiveIntegerField(**COUNT)
    evaluated_basic = models.PositiveIntegerField(**COUNT)
    evaluated_unqualified = models.PositiveIntegerField(**COUNT)
    not_evaluated = models.PositiveIntegerField(**COUNT)
    computed_at = models.DateTimeField(_("indicators computed at"), null=True)
    # From the month rows of the year.
    lessons_held = models.PositiveIntegerField(_("lessons held"), **COUNT)
    attendance_rows = models.PositiveIntegerField(**COUNT)
    attended = models.PositiveIntegerField(**COUNT)
    notes_reviewed = models.PositiveIntegerField(**COUNT)
    # From the branch's study plan of the year: its items, and those with a lesson held.
    lessons_planned = models.PositiveIntegerField(_("lessons planned"), **COUNT)
    plan_done = models.PositiveIntegerField(_("plan items done"), **COUNT)

    class Meta:
        verbose_name = _("branch figures by year")
        verbose_name_plural = _("branch figures by year")
        constraints = [models.UniqueConstraint(fields=["year", "branch"], name="branch_year_figures_once")]

    def __str__(self):
        return f"{self.branch_id} · {self.year}"
