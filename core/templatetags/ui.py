from django import template
from django.utils.translation import get_language

register = template.Library()


@register.simple_tag
def colon() -> str:
    """Return the colon that follows a label: full width in Chinese, ": " otherwise."""
    return "：" if (get_language() or "").startswith("zh") else ": "
