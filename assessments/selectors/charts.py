"""The series the dashboard charts draw, from a Dashboard (assessments.selectors.dashboards): the same
numbers as the tables beside them."""

from assessments.models import YearEndAssessment
from assessments.selectors.dashboards import BranchRow, Dashboard


def chart_data(data: Dashboard, rows: list[BranchRow] | None = None) -> dict:
    """Return the series the dashboard charts draw, the same numbers as the tables beside them.

    The per-branch series covers *rows* (the page of the ranking on show), else every row.
    """
    rows = data.rows if rows is None else rows
    from django.utils.translation import gettext as _

    evaluation_labels = dict(YearEndAssessment.Evaluation.choices) | {"none": _("not yet evaluated")}
    bucket_labels = {
        "lt25": _("under 25%"),
        "lt50": _("25–50%"),
        "lt75": _("50–75%"),
        "lt100": _("75–100%"),
        "met": _("requirement met"),
    }
    charts = {
        "months": [_("Month %(number)d") % {"number": m.month} for m in data.months],
        "lessons": [m.lessons for m in data.months],
        "attendance": [
            round(m.attendance_rate * 100, 1) if m.attendance_rate is not None else None for m in data.months
        ],
        "hours_labels": [bucket_labels[k] for k in bucket_labels],
        "hours_values": list(data.hour_distribution().values()),
        "evaluation_labels": [str(evaluation_labels[k]) for k in data.evaluation_distribution()],
        "evaluation_values": list(data.evaluation_distribution().values()),
        "branches": [r.branch.name for r in rows],
        "plan_completion": [round(r.plan_completion * 100, 1) if r.plan_completion is not None else 0 for r in rows],
        "compliance": [round(r.compliance_ok / r.compliance_rules * 100, 1) if r.compliance_rules else 0 for r in rows],
        "labels": {
            "lessons": _("Lessons held"),
            "attendance": _("Attendance rate (%)"),
            "members": _("Members"),
            "plan": _("Plan completion (%)"),
            "compliance": _("三会一课 compliance (%)"),
        },
    }
    # A chart with nothing to count says so instead of drawing empty axes.
    charts["empty"] = {
        "trend": not any(charts["lessons"]),
        "hours": not any(charts["hours_values"]),
        "evaluation": not any(charts["evaluation_values"]),
        "branches": not any(charts["plan_completion"]) and not any(charts["compliance"]),
    }
    return charts
