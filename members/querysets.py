from django.db import models
from django.db.models import Q
from django.utils import timezone

COMMITTEE_POST_KINDS = (
    "secretary",
    "deputy_secretary",
    "organising",
    "publicity",
    "discipline",
    "committee",
)


class MemberQuerySet(models.QuerySet):
    def in_branch(self, branch):
        """Keep members whose current branch is *branch*."""
        return self.filter(branch=branch)

    def in_branches(self, branch_ids):
        """Keep members whose current branch is one of *branch_ids*."""
        return self.filter(branch_id__in=branch_ids)

    def active(self):
        """Keep full and probationary members."""
        return self.filter(status__in=["full", "probationary"])

    def search(self, text: str, *, include_identity: bool = False, include_expertise: bool = False):
        """Match a name, its pinyin or initials; the ID number and expertise tags on request."""
        text = text.strip()
        if not text:
            return self
        needle = text.lower().replace(" ", "")
        condition = (
            Q(full_name__icontains=text) | Q(name_initials__startswith=needle) | Q(name_pinyin__startswith=needle)
        )
        if include_identity:
            condition |= Q(id_number=text.upper())
        if include_expertise:
            condition |= Q(expertise__icontains=text)
        return self.filter(condition)


class PostQuerySet(models.QuerySet):
    def current(self, on=None):
        """Keep posts held on *on* (today by default)."""
        on = on or timezone.localdate()
        return self.filter(Q(end_on__isnull=True) | Q(end_on__gte=on), start_on__lte=on)

    def committee(self):
        """Keep posts that make their holder a member of the branch committee."""
        return self.filter(kind__in=COMMITTEE_POST_KINDS)
