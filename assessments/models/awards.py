from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class StarCategory(models.Model):
    """A star a member can be awarded (学习之星, 服务之星, …); leadership configures them."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("star category")
        verbose_name_plural = _("star categories")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return self.name


class StarAward(models.Model):
    """One star awarded to a member for a year (五星党员: all five)."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="star_awards")
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.ForeignKey(StarCategory, on_delete=models.PROTECT, related_name="awards")
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("star award")
        verbose_name_plural = _("star awards")
        constraints = [
            models.UniqueConstraint(fields=["member", "year", "category"], name="star_award_once"),
        ]

    def __str__(self):
        return f"{self.member_id} · {self.year} · {self.category_id}"


class RatingCriterion(models.Model):
    """A criterion of the branch rating (三型五好): a type (学习型…) or a "good" (班子好…)."""

    class Group(models.TextChoices):
        TYPE = "type", _("type (三型)")
        GOOD = "good", _("good (五好)")

    name = models.CharField(_("name"), max_length=30, unique=True)
    group = models.CharField(_("group"), max_length=10, choices=Group)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("rating criterion")
        verbose_name_plural = _("rating criteria")
        ordering = ["group", "sort_order", "pk"]

    def __str__(self):
        return self.name


class BranchRating(models.Model):
    """A branch's 三型五好 rating for a year."""

    class Outcome(models.TextChoices):
        MODEL = "model", _("三型五好 branch")
        MET = "met", _("meets the standard")
        NOT_MET = "not_met", _("below the standard")

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="ratings")
    year = models.PositiveSmallIntegerField(_("year"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("branch rating")
        verbose_name_plural = _("branch ratings")
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="branch_rating_once_per_year")]

    def __str__(self):
        return f"{self.branch_id} · {self.year}"


class BranchRatingScore(models.Model):
    rating = models.ForeignKey(BranchRating, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(RatingCriterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [models.UniqueConstraint(fields=["rating", "criterion"], name="rating_score_once")]

    def __str__(self):
        return f"{self.rating_id} · {self.criterion_id} · {self.score}"
