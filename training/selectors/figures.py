"""How fresh the figures are: when the ledger last counted a year, and whether a change still waits."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, Max

from members.models import StaleFigures
from training.models import BranchMonthFigures


@dataclass(frozen=True)
class Freshness:
    computed_at: datetime.datetime | None  # None: the year has never been counted
    pending: bool  # a change is marked and not yet counted


def figures_freshness(year: int) -> Freshness:
    """When *year*'s figures were last recomputed, and whether a change waits; one query (two before the
    year's first count).

    Every refresh rewrites the bureau's month rows, so their time is the ledger's.
    """
    waiting = StaleFigures.objects.filter(year=year)
    row = (
        BranchMonthFigures.objects.filter(year=year, branch__isnull=True)
        .values("year")
        .annotate(at=Max("computed_at"), pending=Exists(waiting))
        .order_by("year")
        .first()
    )
    if row is None:
        return Freshness(computed_at=None, pending=waiting.exists())
    return Freshness(computed_at=row["at"], pending=row["pending"])
