from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from branches.querysets import BranchQuerySet


class Branch(models.Model):
    """A node of the Party organisation tree: Party group, committee, general branch or branch."""

    class Kind(models.TextChoices):
        PARTY_GROUP = "party_group", _("leading Party group")
        COMMITTEE = "committee", _("Party committee")
        GENERAL_BRANCH = "general_branch", _("general branch")
        BRANCH = "branch", _("branch")

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.BRANCH)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent organisation"),
    )
    units_served = models.CharField(_("units served"), max_length=200, blank=True)
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")),
                name="branch_not_own_parent",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("branches:branch_detail", args=[self.pk])


class Venue(models.Model):
    """A place for study activities (学习活动场所), owned by a branch and maybe shared."""

    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    has_projector = models.BooleanField(_("projector"), default=False)
    has_network = models.BooleanField(_("network"), default=False)
    has_video_link = models.BooleanField(_("video link"), default=False)
    owner = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="venues",
        verbose_name=_("owning branch"),
    )
    is_shareable = models.BooleanField(
        _("shareable with other branches"),
        default=True,
    )

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["owner__sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="venue_name_unique_per_owner"),
        ]

    def __str__(self):
        return self.name
