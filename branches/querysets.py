from django.db import models


class BranchQuerySet(models.QuerySet):
    def active(self):
        """Keep organisations that are still active."""
        return self.filter(is_active=True)

    def branches_only(self):
        """Keep grass-roots branches and general branches, which have members."""
        return self.filter(kind__in=["branch", "general_branch"])
