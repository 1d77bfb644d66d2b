from django.db import models


class BranchQuerySet(models.QuerySet):
    def active(self):
        """Keep organisations that are still active."""
        return self.filter(is_active=True)

    def branches_only(self):
        """Keep grass-roots branches and general branches, which have members."""
        return self.filter(kind__in=["branch", "general_branch"])

    def subtree_of(self, *roots):
        """Keep the organisations at or below any of *roots* (Branch objects): one index range scan each."""
        from django.db.models import Q

        condition = Q(pk__in=[])
        for root in roots:
            condition |= Q(path__startswith=root.path)
        return self.filter(condition)

    def children_of(self, parent):
        """Keep the direct children of *parent*, or the roots when it is None."""
        if parent is None:
            return self.filter(parent__isnull=True)
        return self.filter(parent=parent)
