"""How fresh the figures are: when the ledger last counted a year, and whether a change still waits."""

import datetime
from dataclasses import dataclass

from django.db.models import Max

from members.models import StaleFigures
from training.models import BranchMonthFigures


@dataclass(frozen=True)
class Freshness:
    computed_at: datetime.datetime | None  # None: the year has never been counted
    pending: bool  # a change is marked and not yet counted


def figures_freshness(year: int) -> Freshness:
    """When *year*'s figures were last recomputed, and whether a change waits; two queries.

    Every refresh rewrites the bureau's month rows, so their time is the ledger's.
    """
    computed = BranchMonthFigures.objects.filter(year=year, branch__isnull=True).aggregate(at=Max("computed_at"))["at"]
    return Freshness(computed_at=computed, pending=StaleFigures.objects.filter(year=year).exists())
