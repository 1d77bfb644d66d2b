import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def report_path(instance, filename):
    return f"reports/{instance.period_start:%Y}/{uuid.uuid4().hex}/{filename}"


class CheckupReport(models.Model):
    """A compiled checkup report (督查报告) for a period and a scope, kept in the archive with its files."""

    class Period(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        YEAR = "year", _("year")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("compiling")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    period = models.CharField(_("period"), max_length=10, choices=Period)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="checkup_reports",
        verbose_name=_("branch"),
        help_text=_("Empty for the whole bureau."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to=report_path, blank=True, max_length=300)
    xlsx = models.FileField(_("XLSX"), upload_to=report_path, blank=True, max_length=300)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Queued: by when a worker must have started it; running: until when the
    # compiling worker holds it (renewed while it works). Past it, the sweep
    # takes the report up again.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("checkup report")
        verbose_name_plural = _("checkup reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["period_start", "branch"]),
            models.Index(
                fields=["lease_until"], condition=models.Q(status__in=["queued", "running"]), name="report_unfinished"
            ),
        ]

    def __str__(self):
        return f"{self.period} {self.period_start} {self.branch_id or 'bureau'}"

    def get_absolute_url(self):
        return reverse("reports:report_detail", args=[self.pk])
