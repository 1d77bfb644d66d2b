import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SupervisionVisit(models.Model):
    """A daily supervision visit (日常督查) to a branch, with its findings."""

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="supervision_visits")
    visited_on = models.DateField(_("date"))
    inspectors = models.CharField(_("inspectors"), max_length=200)
    findings = models.TextField(_("findings"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supervision visit")
        verbose_name_plural = _("supervision visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["branch", "visited_on"])]

    def __str__(self):
        return f"{self.branch_id} · {self.visited_on}"

    def get_absolute_url(self):
        return reverse("supervision:visit_detail", args=[self.pk])


class RectificationItem(models.Model):
    """Something a visit found that the branch must put right (整改), by a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", _("to do")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("rectified")

    visit = models.ForeignKey(SupervisionVisit, on_delete=models.CASCADE, related_name="items")
    description = models.TextField(_("what must be rectified"))
    owner = models.CharField(_("responsible person"), max_length=100)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.OPEN)
    completed_on = models.DateField(_("rectified on"), null=True, blank=True)
    note = models.TextField(_("progress note"), blank=True)

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self):
        return self.description[:40]


def evidence_path(instance, filename):
    return f"rectification/{instance.item_id}/{uuid.uuid4().hex}/{filename}"


class RectificationEvidence(models.Model):
    """A file showing a rectification was done (a photo, minutes, a new rule)."""

    item = models.ForeignKey(RectificationItem, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    size = models.PositiveIntegerField(default=0, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.file.name.rsplit("/", 1)[-1]
