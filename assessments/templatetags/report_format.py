"""Number formats shared by the checkup report's page and PDF, so both print the same text."""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

NONE = "—"


@register.filter
def percent(value) -> str:
    """Format a ratio (0.75) as a percentage with one decimal ("75.0%"); None as a dash."""
    if value is None or value == "":
        return NONE
    return f"{float(value) * 100:.1f}%"


@register.filter
def hours(value) -> str:
    """Format hours (or a score) with one decimal ("6.0"); None as a dash."""
    if value is None or value == "":
        return NONE
    return f"{float(value):.1f}"


@register.filter
def whole_percent(value) -> str:
    """A ratio as a whole percentage ("97%"), rounded as {% widthratio %} rounds; None as a dash.

    The dashboard ranking prints a dozen figures for each of hundreds of
    branches: a filter costs a fraction of the widthratio tag it replaces.
    """
    if value is None or value == "":
        return NONE
    return f"{round(float(value) * 100)}%"


# The ranking column each sort order shows on a phone, and how it is printed.
_RANKING_FIGURES = {
    "members": ("members", str),
    "plan": ("plan_completion", whole_percent),
    "attendance": ("attendance_rate", whole_percent),
    "hours": ("avg_hours", lambda v: NONE if v is None else str(v)),
    "meets": ("meets_share", whole_percent),
    "notes": ("notes_passed", str),
    "name": (None, None),
}


@register.filter
def ranking_figure(row, order) -> str:
    """The figure a ranking row shows for the chosen sort order (the average score by default)."""
    field, fmt = _RANKING_FIGURES.get(order, ("avg_score", None))
    if field is None:
        return ""
    value = getattr(row, field)
    if fmt is None:
        return floatformat(value, 1) or NONE  # as the table prints it
    return fmt(value)
