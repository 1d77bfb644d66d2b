"""Read side of the question bank and knowledge quizzes: what a user may use, and the rankings."""

from django.db.models import Avg, Count, Q, QuerySet

from training.models import BankQuestion, KnowledgeQuiz, KnowledgeQuizAttempt


def bank_questions_for(roles) -> QuerySet[BankQuestion]:
    """Questions a user may use: the bureau's and their branches' (every branch's for leadership)."""
    qs = BankQuestion.objects.all()
    if not roles.is_top_level:
        qs = qs.filter(Q(branch__isnull=True) | Q(branch_id__in=roles.scope_ids))
    return qs.select_related("branch").order_by("topic", "pk")


def knowledge_quizzes_for(roles) -> QuerySet[KnowledgeQuiz]:
    """Quizzes a user sees: the bureau's, and those of their branches (and of the branch above theirs)."""
    qs = KnowledgeQuiz.objects.select_related("branch").annotate(questions_count=Count("questions", distinct=True))
    if roles.is_top_level:
        return qs
    ids = set(roles.scope_ids)
    if roles.member is not None:
        ids |= {roles.member.branch_id, roles.member.branch.parent_id}
    return qs.filter(Q(branch__isnull=True) | Q(branch_id__in=ids))


def person_ranking(quiz: KnowledgeQuiz, *, limit: int = 50) -> list[KnowledgeQuizAttempt]:
    """Best scores first; the earlier attempt wins a tie."""
    return list(
        KnowledgeQuizAttempt.objects.filter(quiz=quiz)
        .select_related("member", "branch")
        .order_by("-score", "answered_at", "pk")[:limit]
    )


def branch_ranking(quiz: KnowledgeQuiz) -> list[dict]:
    """Branches by average score, with how many of their members took part."""
    return list(
        KnowledgeQuizAttempt.objects.filter(quiz=quiz)
        .values("branch_id", "branch__name")
        .annotate(average=Avg("score"), takers=Count("pk"))
        .order_by("-average", "branch__name")
    )
