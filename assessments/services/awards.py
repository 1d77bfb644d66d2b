"""Five-star members (五星党员) and the branch rating (三型五好).

Only leadership awards stars and rates branches: the honours are the
bureau's. A member holding every active star category for a year is a
five-star member for that year; the set of categories is configured once for
all years, so deactivating a category changes the requirement everywhere.

A member counts in their current branch.
"""

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from assessments.models import BranchRating, BranchRatingScore, RatingCriterion, StarAward, StarCategory
from branches.models import Branch
from core.audit import audit_record, changes_between
from members.models import Member

# Default names are data that leadership may rename, not interface text, so
# they are stored in Chinese, the language the honours are known by.
DEFAULT_STAR_CATEGORIES = ("学习之星", "服务之星", "奉献之星", "守纪之星", "创新之星")
DEFAULT_RATING_CRITERIA = (
    ("学习型", RatingCriterion.Group.TYPE),
    ("服务型", RatingCriterion.Group.TYPE),
    ("创新型", RatingCriterion.Group.TYPE),
    ("班子好", RatingCriterion.Group.GOOD),
    ("队伍好", RatingCriterion.Group.GOOD),
    ("制度好", RatingCriterion.Group.GOOD),
    ("作风好", RatingCriterion.Group.GOOD),
    ("业绩好", RatingCriterion.Group.GOOD),
)
MODEL_MINIMUM = 85  # every criterion at least this: 三型五好党支部
MET_AVERAGE = 60  # average at least this: meets the standard
Outcome = BranchRating.Outcome
RATED_BRANCH_KINDS = (Branch.Kind.BRANCH, Branch.Kind.GENERAL_BRANCH)


# --- configuration ---------------------------------------------------------


def star_categories() -> list[StarCategory]:
    """Return every star category (active or not), creating the defaults on first use.

    One query once the defaults exist.
    """
    rows = list(StarCategory.objects.all())
    if not rows:
        StarCategory.objects.bulk_create(
            [StarCategory(name=name, sort_order=(i + 1) * 10) for i, name in enumerate(DEFAULT_STAR_CATEGORIES)],
            ignore_conflicts=True,  # two first visitors at once
        )
        rows = list(StarCategory.objects.all())
    return rows


def _criterion_order(criterion: RatingCriterion) -> tuple:
    # 三型 before 五好: the model orders groups alphabetically, "good" first.
    return (criterion.group != RatingCriterion.Group.TYPE, criterion.sort_order, criterion.pk)


def rating_criteria() -> list[RatingCriterion]:
    """Return every rating criterion (active or not), types first, creating the defaults on first use.

    One query once the defaults exist.
    """
    rows = sorted(RatingCriterion.objects.all(), key=_criterion_order)
    if not rows:
        RatingCriterion.objects.bulk_create(
            [
                RatingCriterion(name=name, group=group, sort_order=(i + 1) * 10)
                for i, (name, group) in enumerate(DEFAULT_RATING_CRITERIA)
            ],
            ignore_conflicts=True,
        )
        rows = sorted(RatingCriterion.objects.all(), key=_criterion_order)
    return rows


def _config_update(*, model: type[models.Model], rows: Sequence[dict], fields: Sequence[str], actor, action: str):
    """Apply *rows* ({"id": pk or None, field: value, …}) to *model*; audit each change."""
    existing = {obj.pk: obj for obj in model.objects.select_for_update()}
    final_names = [row["name"].strip() for row in rows]
    if len(set(final_names)) != len(final_names):
        raise ValidationError(_("Each name may be used only once."), code="duplicate_name")
    changed = []
    for row in rows:
        values = {name: row[name].strip() if name == "name" else row[name] for name in fields}
        pk = row.get("id")
        if pk is None:
            obj = model(**values)
            obj.full_clean()
            obj.save()
            audit_record(actor=actor, action=f"{action}.created", target=obj, payload=values)
            changed.append(obj)
            continue
        obj = existing.get(pk)
        if obj is None:
            raise ValidationError(_("This entry no longer exists; reload the page."), code="unknown_entry")
        changes = changes_between({name: getattr(obj, name) for name in fields}, values)
        if not changes:
            continue
        for name in changes:
            setattr(obj, name, values[name])
        obj.full_clean()
        obj.save()
        audit_record(actor=actor, action=f"{action}.updated", target=obj, payload={"name": obj.name, **changes})
        changed.append(obj)
    return changed


@transaction.atomic
def star_categories_update(*, rows: Sequence[dict], actor) -> list[StarCategory]:
    """Rename, reorder, (de)activate and add star categories; return the changed ones.

    Categories are never deleted: awards point to them. At least one must
    stay active, or nobody could become a five-star member.
    """
    star_categories()
    changed = _config_update(
        model=StarCategory, rows=rows, fields=("name", "sort_order", "is_active"), actor=actor, action="star_category"
    )
    if not StarCategory.objects.filter(is_active=True).exists():
        raise ValidationError(_("Keep at least one star category active."), code="no_active_category")
    return changed


@transaction.atomic
def rating_criteria_update(*, rows: Sequence[dict], actor) -> list[RatingCriterion]:
    """Rename, regroup, reorder, (de)activate and add rating criteria; return the changed ones."""
    rating_criteria()
    changed = _config_update(
        model=RatingCriterion,
        rows=rows,
        fields=("name", "group", "sort_order", "is_active"),
        actor=actor,
        action="rating_criterion",
    )
    if not RatingCriterion.objects.filter(is_active=True).exists():
        raise ValidationError(_("Keep at least one rating criterion active."), code="no_active_criterion")
    return changed


# --- stars: services -------------------------------------------------------


def _award_payload(award: StarAward) -> dict:
    return {
        "member": award.member_id,
        "member_name": award.member.full_name,
        "year": award.year,
        "category": award.category_id,
        "category_name": award.category.name,
        "reason": award.reason,
    }


@transaction.atomic
def star_award_create(*, member: Member, year: int, category: StarCategory, reason: str = "", actor) -> StarAward:
    """Award *category* to *member* for *year*; refuse an inactive category or a second award."""
    if not category.is_active:
        raise ValidationError(
            _("The star “%(category)s” is no longer awarded.") % {"category": category.name},
            code="category_inactive",
        )
    if not member.is_active_member:
        raise ValidationError(
            _("%(member)s is not an active Party member.") % {"member": member.full_name}, code="member_inactive"
        )
    duplicate = ValidationError(
        _("%(member)s already holds the star “%(category)s” for %(year)d.")
        % {"member": member.full_name, "category": category.name, "year": year},
        code="duplicate_award",
    )
    if StarAward.objects.filter(member=member, year=year, category=category).exists():
        raise duplicate
    award = StarAward(member=member, year=year, category=category, reason=reason.strip())
    award.full_clean(validate_constraints=False)  # checked above, and by the database below
    try:
        with transaction.atomic():
            award.save()
    except IntegrityError as exc:  # a concurrent award of the same star
        raise duplicate from exc
    audit_record(actor=actor, action="star_award.created", target=award, payload=_award_payload(award))
    return award


@transaction.atomic
def star_award_withdraw(*, award: StarAward, actor) -> bool:
    """Withdraw an award; return False when it was already withdrawn.

    The audit entry keeps what the award was.
    """
    locked = StarAward.objects.select_related("member", "category").select_for_update(of=("self",))
    award = locked.filter(pk=award.pk).first()
    if award is None:  # a second click, or another leader first
        return False
    audit_record(actor=actor, action="star_award.withdrawn", target=award, payload=_award_payload(award))
    award.delete()
    return True


# --- branch rating: services -----------------------------------------------


def suggested_outcome(scores: Iterable[int]) -> str:
    """Return the outcome the scores suggest, or "" when there are none.

    Every criterion at least 85: 三型五好 branch; an average of at least 60:
    meets the standard; otherwise below it.
    """
    scores = list(scores)
    if not scores:
        return ""
    if min(scores) >= MODEL_MINIMUM:
        return Outcome.MODEL
    if sum(scores) >= MET_AVERAGE * len(scores):  # no rounding: 59.9 is below 60
        return Outcome.MET
    return Outcome.NOT_MET


@transaction.atomic
def branch_rating_save(
    *,
    branch: Branch,
    year: int,
    scores: Mapping[int, int],
    comment: str = "",
    outcome: str = "",
    actor,
) -> BranchRating:
    """Score every active criterion of *branch* for *year*; return the rating.

    *scores* maps criterion id to a score from 0 to 100. An empty *outcome*
    takes the suggested one; any other value overrides it, and the audit
    entry says so.
    """
    if branch.kind not in RATED_BRANCH_KINDS:
        raise ValidationError(_("Only branches and general branches are rated."), code="not_a_branch")
    if outcome and outcome not in Outcome.values:
        raise ValidationError(_("Choose a valid outcome."), code="invalid_outcome")
    criteria = {c.pk: c for c in rating_criteria() if c.is_active}
    if not criteria:
        raise ValidationError(_("There is no active rating criterion to score."), code="no_criteria")
    unknown = set(scores) - set(criteria)
    if unknown:
        raise ValidationError(_("A criterion is no longer in use; reload the page."), code="unknown_criterion")
    missing = [criteria[pk].name for pk in criteria if pk not in scores]
    if missing:
        raise ValidationError(
            _("Score every criterion; missing: %(names)s.") % {"names": "、".join(missing)}, code="missing_score"
        )
    suggestion = suggested_outcome(scores.values())
    final = outcome or suggestion
    rating, created = BranchRating.objects.select_for_update().get_or_create(branch=branch, year=year)
    before = {"outcome": rating.outcome, "comment": rating.comment}
    rating.outcome, rating.comment = final, comment.strip()
    rating.full_clean()
    rating.save()

    existing = {s.criterion_id: s for s in rating.scores.all()}
    score_changes = {}
    for pk, value in scores.items():
        row = existing.get(pk) or BranchRatingScore(rating=rating, criterion_id=pk)
        if row.pk is not None and row.score == value:
            continue
        score_changes[criteria[pk].name] = [row.score, value]
        row.score = value
        row.full_clean()
        row.save()

    changes = changes_between(before, {"outcome": rating.outcome, "comment": rating.comment})
    if created or changes or score_changes:
        audit_record(
            actor=actor,
            action="branch_rating.created" if created else "branch_rating.updated",
            target=rating,
            payload={
                "branch": branch.pk,
                "year": year,
                "scores": score_changes,
                "changes": changes,
                "suggested_outcome": suggestion,
                "outcome": final,
                "overridden": final != suggestion,
            },
        )
    return rating
