import re

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
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

    name = models.CharField(_("name"), max_length=100)
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
    # Materialised path of zero-padded ids, root first ("0000001/0000017/"): a
    # subtree is one index range scan (path LIKE 'prefix%') at any depth.
    path = models.CharField(_("tree path"), max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)

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
            # Every bureau has its own "机关第一党支部": names are unique among siblings only.
            models.UniqueConstraint(fields=["parent", "name"], name="branch_name_unique_among_siblings"),
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True), name="branch_root_name_unique"),
        ]
        indexes = [
            models.Index(fields=["path"], name="branch_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The path is maintained here: on create, and on a move the whole subtree
        # is rewritten in one UPDATE. Rows that point at a branch (membership
        # history, lessons, figures) keep their foreign key, so history survives a move.
        with transaction.atomic():
            super().save(*args, **kwargs)
            parent_path = ""
            if self.parent_id:
                parent_path = Branch.objects.filter(pk=self.parent_id).values_list("path", flat=True).get()
            new_path = parent_path + self.path_segment(self.pk)
            if new_path == self.path:
                return
            old_path = self.path
            if old_path and parent_path.startswith(old_path):
                raise ValidationError(_("An organisation cannot be moved under itself or its own subtree."))
            new_depth = new_path.count("/") - 1
            if old_path:
                Branch.objects.filter(path__startswith=old_path).update(
                    path=Concat(Value(new_path), Substr("path", len(old_path) + 1), output_field=models.CharField()),
                    depth=F("depth") + (new_depth - self.depth),
                )
            else:
                Branch.objects.filter(pk=self.pk).update(path=new_path, depth=new_depth)
            self.path, self.depth = new_path, new_depth

    def get_absolute_url(self):
        return reverse("branches:branch_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.pk and self.parent_id:
            parent_path = Branch.objects.filter(pk=self.parent_id).values_list("path", flat=True).first() or ""
            if parent_path.startswith(self.path or "\0"):
                raise ValidationError({"parent": _("An organisation cannot be moved under itself or its own subtree.")})

    @staticmethod
    def path_segment(pk: int) -> str:
        return f"{pk:07d}/"

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this organisation, read from the path (no query)."""
        return [int(part) for part in self.path.split("/") if part]

    def is_within(self, other: "Branch") -> bool:
        return bool(other.path) and self.path.startswith(other.path)

    @property
    def full_path(self) -> str:
        """ "东城区交通运输局 › 机关党委 › 第一党支部": one query; lists use branches.selectors.path_labels."""
        return path_labels([self])[self.pk]


PATH_SEPARATOR = " › "


def path_labels(branches) -> dict[int, str]:
    """Full path names ("东城区交通运输局 › 机关党委 › 第一党支部") of *branches*, in one query.

    The ancestors are read from each branch's materialised path, so the query
    count stays one however many branches and levels there are.
    """
    branches = list(branches)
    ancestor_ids = {pk for branch in branches for pk in branch.ancestor_ids}
    names = dict(Branch.objects.filter(pk__in=ancestor_ids).values_list("pk", "name")) if ancestor_ids else {}
    return {
        branch.pk: PATH_SEPARATOR.join(names.get(pk, branch.name) for pk in branch.ancestor_ids) or branch.name
        for branch in branches
    }


def find_by_label(text: str, *, among=None) -> Branch | None:
    """The organisation named by *text*, or None when nothing or more than one matches.

    *text* is a bare name unique among *among* (organisation ids, e.g. an
    importer's scope; None: the whole tree) or a path with "›", ">" or "/"
    between levels ("东城区交通运输局 › 机关党委 › 第一党支部"), whose tail
    may be shorter than the full path. Two queries at most.
    """
    parts = [p.strip() for p in re.split(r"[›>/]", text) if p.strip()]
    if not parts:
        return None
    candidates = Branch.objects.filter(name=parts[-1])
    if among is not None:
        candidates = candidates.filter(pk__in=among)
    found = list(candidates)
    if len(parts) > 1 and found:
        labels = path_labels(found)
        found = [b for b in found if labels[b.pk].split(PATH_SEPARATOR)[-len(parts) :] == parts]
    return found[0] if len(found) == 1 else None


def ancestors_of(branch: Branch) -> list[Branch]:
    """The organisations above *branch*, root first (for breadcrumbs), in one query."""
    ids = branch.ancestor_ids[:-1]
    if not ids:
        return []
    by_id = {b.pk: b for b in Branch.objects.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


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
