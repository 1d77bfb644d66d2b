"""Read side of topic surveys: the ranked demand, and how many members asked for each plan item."""

from django.db.models import Count, Q, QuerySet

from training.models import TopicProposal, TopicSurvey, TopicVote


def topic_surveys_for(roles) -> QuerySet[TopicSurvey]:
    """Surveys a user sees: the bureau's, and those of their branches (and of the branch above theirs)."""
    qs = TopicSurvey.objects.select_related("branch")
    if roles.is_top_level:
        return qs
    ids = set(roles.scope_ids)
    if roles.member is not None:
        ids |= {roles.member.branch_id, roles.member.branch.parent_id}
    return qs.filter(Q(branch__isnull=True) | Q(branch_id__in=ids))


def topic_demand(survey: TopicSurvey) -> list[TopicProposal]:
    """Proposals with their vote count (the proposer's included), most wanted first."""
    return list(
        TopicProposal.objects.filter(survey=survey)
        .select_related("member")
        .annotate(demand=Count("votes"))
        .prefetch_related("plan_items__plan", "lessons")
        .order_by("-demand", "created_at", "pk")
    )


def voted_proposal_ids(survey: TopicSurvey, member) -> set[int]:
    if member is None:
        return set()
    return set(TopicVote.objects.filter(proposal__survey=survey, member=member).values_list("proposal_id", flat=True))


def requested_by_counts(item_ids) -> dict[int, int]:
    """Distinct members who asked (proposed or voted) for a topic linked to each plan item, in one query."""
    return dict(
        TopicVote.objects.filter(proposal__plan_items__in=list(item_ids))
        .values("proposal__plan_items")
        .annotate(n=Count("member", distinct=True))
        .values_list("proposal__plan_items", "n")
    )
