"""Reading spreadsheet and CSV cells the way people type them: text, dates."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# 2021-07-01, 2021/7/1, 2021.7.1, 2021年7月1日, optionally with a time after it.
DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2})?)?$")
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def cell_text(value) -> str:
    """Return a cell as stripped text; 12.0 from Excel becomes "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_date(value) -> datetime.date:
    """Read a date cell; raise ValidationError with a message for the user."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    match = DATE.match(text) or COMPACT_DATE.match(text)
    if not match:
        raise ValidationError(_("“%(value)s” is not a date; write it as 2021-07-01.") % {"value": text})
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(_("The date %(value)s does not exist.") % {"value": text}) from None
