"""Reads for five-star members and the branch rating; the rules and writes are in assessments.services.awards."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, Min, OuterRef, Q

from assessments.models import BranchRating, BranchRatingScore, RatingCriterion, StarAward, StarCategory
from assessments.services.awards import RATED_BRANCH_KINDS, Outcome, rating_criteria, star_categories, suggested_outcome
from branches.models import Branch
from members.models import Member


@dataclass(frozen=True)
class MemberStars:
    member: Member
    awards: list[StarAward]  # ordered like the categories
    missing: list[StarCategory]  # active categories not yet awarded
    is_five_star: bool

    @property
    def categories(self) -> list[StarCategory]:
        return [award.category for award in self.awards]


def _holds_every_active_category(year: int, member_ref: str) -> Q:
    """Condition on the outer *member_ref*: at least one active category exists and none is missing."""
    held = StarAward.objects.filter(member_id=OuterRef(OuterRef(member_ref)), year=year, category_id=OuterRef("pk"))
    active = StarCategory.objects.filter(is_active=True)
    return Q(Exists(active)) & ~Q(Exists(active.filter(~Exists(held))))


def stars_for_year(
    year: int, *, branch_ids: Iterable[int] | None = None, categories: Sequence[StarCategory] | None = None
) -> list[MemberStars]:
    """Return each member awarded a star in *year*, with the stars and the five-star flag.

    Two queries (one when *categories*, from star_categories(), is passed),
    whatever the number of members.
    """
    if categories is None:
        categories = star_categories()
    active = [c for c in categories if c.is_active]
    awards = StarAward.objects.filter(year=year).select_related("member__branch", "category")
    if branch_ids is not None:
        awards = awards.filter(member__branch_id__in=list(branch_ids))
    awards = awards.order_by(
        "member__branch__sort_order",
        "member__branch__code",
        "member__name_pinyin",
        "member_id",
        "category__sort_order",
        "category_id",
    )
    by_member: dict[int, list[StarAward]] = defaultdict(list)
    members: dict[int, Member] = {}
    for award in awards:
        by_member[award.member_id].append(award)
        members.setdefault(award.member_id, award.member)
    rows = []
    for member_id, member_awards in by_member.items():
        held = {award.category_id for award in member_awards}
        missing = [c for c in active if c.pk not in held]
        rows.append(
            MemberStars(
                member=members[member_id],
                awards=member_awards,
                missing=missing,
                # Without any active category nobody is a five-star member.
                is_five_star=bool(active) and not missing,
            )
        )
    return rows


def five_star_members(year: int, *, branch_ids: Iterable[int] | None = None) -> list[Member]:
    """Return the five-star members of *year* (every active category awarded), in one query."""
    members = Member.objects.filter(_holds_every_active_category(year, "pk")).select_related("branch")
    if branch_ids is not None:
        members = members.filter(branch_id__in=list(branch_ids))
    return list(members.order_by("branch__sort_order", "branch__code", "name_pinyin", "pk"))


@dataclass(frozen=True)
class StarCounts:
    stars: int = 0  # awards of the year, in any category
    members: int = 0  # members holding at least one star
    five_star: int = 0  # members holding every active category


def star_counts_by_branch(year: int) -> dict[int, StarCounts]:
    """Return branch id → star counts of *year*, in one aggregate query.

    A branch without any star is absent; look it up with
    ``counts.get(branch_id, StarCounts())``.
    """
    rows = (
        StarAward.objects.filter(year=year)
        .values("member__branch_id")
        .annotate(
            stars=Count("pk"),
            members=Count("member_id", distinct=True),
            five_star=Count("member_id", distinct=True, filter=_holds_every_active_category(year, "member_id")),
        )
        .order_by()
    )
    return {
        row["member__branch_id"]: StarCounts(stars=row["stars"], members=row["members"], five_star=row["five_star"])
        for row in rows
    }


# --- branch rating: selectors ----------------------------------------------


@dataclass(frozen=True)
class CriterionScore:
    criterion: RatingCriterion
    score: int | None


@dataclass(frozen=True)
class BranchRatingRow:
    branch: Branch
    rating: BranchRating | None  # annotated with average and lowest
    scores: list[CriterionScore] = field(default_factory=list)  # aligned with the table's criteria

    @property
    def outcome(self) -> str:
        return self.rating.outcome if self.rating else ""

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label if self.outcome else ""

    @property
    def suggested(self) -> str:
        values = [cell.score for cell in self.scores if cell.score is not None and cell.criterion.is_active]
        return suggested_outcome(values)

    @property
    def is_overridden(self) -> bool:
        return bool(self.outcome) and bool(self.suggested) and self.outcome != self.suggested


@dataclass(frozen=True)
class RatingTable:
    year: int
    criteria: list[RatingCriterion]  # active ones, and inactive ones scored this year
    rows: list[BranchRatingRow]


def _rated_branches(year: int):
    """Branches shown for *year*: the active ones, and any other rated that year."""
    rated = BranchRating.objects.filter(branch=OuterRef("pk"), year=year)
    return Branch.objects.filter(Q(is_active=True) | Q(Exists(rated)), kind__in=RATED_BRANCH_KINDS)


def branch_ratings(year: int, *, with_scores: bool = True, branch_ids: Iterable[int] | None = None) -> RatingTable:
    """Return every branch with its rating of *year* and, on request, its scores.

    Four queries whatever the number of branches (three without scores).
    """
    all_criteria = rating_criteria()
    branches = _rated_branches(year).order_by("sort_order", "code")
    ratings = BranchRating.objects.filter(year=year).annotate(average=Avg("scores__score"), lowest=Min("scores__score"))
    if branch_ids is not None:
        branch_ids = list(branch_ids)
        branches = branches.filter(pk__in=branch_ids)
        ratings = ratings.filter(branch_id__in=branch_ids)
    branches = list(branches)
    by_branch = {rating.branch_id: rating for rating in ratings.order_by()}
    scores: dict[int, dict[int, int]] = defaultdict(dict)
    criteria = [c for c in all_criteria if c.is_active]
    if with_scores:
        values = BranchRatingScore.objects.filter(rating__year=year)
        if branch_ids is not None:
            values = values.filter(rating__branch_id__in=branch_ids)
        for branch_id, criterion_id, score in values.values_list("rating__branch_id", "criterion_id", "score"):
            scores[branch_id][criterion_id] = score
        scored = {pk for by_criterion in scores.values() for pk in by_criterion}
        criteria = [c for c in all_criteria if c.is_active or c.pk in scored]
    rows = [
        BranchRatingRow(
            branch=branch,
            rating=by_branch.get(branch.pk),
            scores=[CriterionScore(c, scores[branch.pk].get(c.pk)) for c in criteria] if with_scores else [],
        )
        for branch in branches
    ]
    return RatingTable(year=year, criteria=criteria, rows=rows)


def branch_rating_detail(branch: Branch, year: int) -> BranchRatingRow:
    """Return the branch's rating of *year* with a cell for each criterion shown."""
    table = branch_ratings(year, branch_ids=[branch.pk])
    if table.rows:
        return table.rows[0]
    # An inactive branch never rated that year: show it empty all the same.
    return BranchRatingRow(branch=branch, rating=None, scores=[CriterionScore(c, None) for c in table.criteria])


def rating_outcome_distribution(year: int) -> dict[str, int]:
    """Return outcome → number of branches for *year*, with "unrated", in one query."""
    rated = BranchRating.objects.filter(branch=OuterRef("pk"), year=year)
    counts = {outcome: Count("pk", filter=Q(Exists(rated.filter(outcome=outcome)))) for outcome in Outcome.values}
    return _rated_branches(year).aggregate(**counts, unrated=Count("pk", filter=~Q(Exists(rated.exclude(outcome="")))))
