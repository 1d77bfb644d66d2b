"""Number formats shared by the checkup report's page and PDF, so both print the same text."""

from django import template

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
