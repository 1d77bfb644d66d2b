"""The leadership ranking: branches best first by one figure, a page at a time.

Two ways to the same order. ranked() sorts rows already read (a subtree's
ranking of its children, summed in Python); tree_dashboard() orders and pages
the whole tree in SQL on the branch-and-year rows, so that the top page costs
the same for 20 branches or 4,000. Ties keep the tree's order (sort order, code).
"""

import datetime

from django.core.paginator import Page, Paginator
from django.db.models import F, FilteredRelation, FloatField, Min, Q, Sum
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from assessments.models import BranchYearFigures, RectificationItem
from assessments.selectors.dashboards import BranchRow, Dashboard, branch_rows, fill_from_year, monthly_trend
from assessments.services.branch_figures import FIGURES
from branches.models import Branch
from training.selectors.figures import figures_freshness


def _share(part, whole) -> float:
    """part ÷ whole as a float, 0 when whole is 0: what the SQL orders compute, tie for tie."""
    return float(part) / float(whole) if whole else 0.0


# Best first; a figure with nothing to count sorts as 0. Exact ratios, not the rounded ones on show,
# so that the SQL orders below (RANKING_SQL) rank the same rows in the same order.
RANKING_ORDERS = {
    "name": lambda r: r.branch.sort_order,
    "members": lambda r: -r.members,
    "attendance": lambda r: -_share(r.attended, r.attendance_rows),
    "hours": lambda r: -_share(r.total_hours, r.members),
    "meets": lambda r: -_share(r.meets_hours, r.members),
    "score": lambda r: -(float(r.avg_score) if r.avg_score is not None else 0.0),
    "plan": lambda r: -_share(r.plan_done, r.lessons_planned),
    "notes": lambda r: -r.notes_passed,
}


def ranked(rows: list[BranchRow], order: str, query: str = "") -> list[BranchRow]:
    """The ranking: *rows* best first by *order* (score by default), narrowed to names containing *query*."""
    if query:
        folded = query.casefold()
        rows = [r for r in rows if folded in r.branch.name.casefold()]
    return sorted(rows, key=RANKING_ORDERS.get(order, RANKING_ORDERS["score"]))


def _per(part: str, whole: str):
    """part ÷ whole in floating point, 0 when whole is 0 or there is no row (as _share)."""
    return Coalesce(Cast(F(part), FloatField()) / NullIf(Cast(F(whole), FloatField()), 0.0), 0.0)


def _count(name: str):
    return Coalesce(F(name), 0)


# RANKING_ORDERS in SQL, on the branch-and-year row "f" (none: every figure 0).
RANKING_SQL = {
    "name": [],
    "members": [_count("f__members").desc()],
    "attendance": [_per("f__attended", "f__attendance_rows").desc()],
    "hours": [_per("f__total_hours", "f__members").desc()],
    "meets": [_per("f__meets_hours", "f__members").desc()],
    "score": [_per("f__score_sum", "f__members").desc()],
    "plan": [_per("f__plan_done", "f__lessons_planned").desc()],
    "notes": [_count("f__notes_passed").desc()],
}


def _tree_total(year: int, chosen, today: datetime.date) -> BranchRow:
    """The whole tree's figures for the cards and charts, added up in SQL from the branch-and-year rows."""
    names = [name for name in FIGURES if name != "computed_at"]
    sums = BranchYearFigures.objects.filter(year=year, branch__in=chosen).aggregate(
        **{
            f"sum_{name}": Coalesce(Sum(name), 0, output_field=BranchYearFigures._meta.get_field(name))
            for name in names
        },
        first_computed=Min("computed_at"),
    )
    figures = BranchYearFigures(year=year, computed_at=sums["first_computed"], **{n: sums[f"sum_{n}"] for n in names})
    total = BranchRow(branch=None)
    fill_from_year(total, figures)
    total.overdue_items = (
        RectificationItem.objects.filter(visit__branch__in=chosen, deadline__lt=today)
        .exclude(status=RectificationItem.Status.DONE)
        .count()
    )
    return total


def tree_dashboard(
    year: int, *, order: str, query: str = "", page=None, size: int, today: datetime.date | None = None
) -> tuple[Dashboard, Page]:
    """The whole tree's dashboard with one page of its ranking, in the same queries for 20 branches or 4,000.

    The cards and charts add up every branch in SQL; the ranking (by *order*,
    narrowed to names containing *query*) is ordered and paged in SQL, and
    only the page's rows are read in full, 三会一课 included.
    """
    today = today or timezone.localdate()
    chosen = Branch.objects.branches_only().active()
    ranking = (
        chosen.alias(f=FilteredRelation("year_figures", condition=Q(year_figures__year=year)))
        .order_by(*RANKING_SQL.get(order, RANKING_SQL["score"]), "sort_order", "code")
        .values_list("pk", flat=True)
    )
    if query:
        ranking = ranking.filter(name__icontains=query)
    shown = Paginator(ranking, size).get_page(page)
    rows = {row.branch.pk: row for row in branch_rows(year, branch_ids=list(shown.object_list), today=today)}
    shown.object_list = [rows[pk] for pk in shown.object_list]
    months = monthly_trend(year)
    data = Dashboard(
        year=year,
        rows=shown.object_list,
        months=months,
        lessons_held=sum(m.lessons for m in months),
        freshness=figures_freshness(year),
        total=_tree_total(year, chosen.values("pk"), today),
    )
    return data, shown
