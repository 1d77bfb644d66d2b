"""National ID numbers (GB 11643) and phone numbers: validation and masking."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
MOBILE_PHONE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper()


def parse_id_number(value: str) -> tuple[datetime.date, str]:
    """Validate an 18-character ID number; return (birth date, gender)."""
    value = normalise_id_number(value)
    if not _ID_SHAPE.match(value):
        raise ValidationError(_("An ID number has 17 digits followed by a digit or X."), code="id_shape")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The date of birth inside the ID number does not exist."), code="id_birth") from None
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(_("The ID number's check digit is wrong."), code="id_check_digit")
    gender = "male" if int(value[16]) % 2 else "female"
    return birth, gender


def validate_id_number(value: str) -> None:
    parse_id_number(value)


def validate_mobile_phone(value: str) -> None:
    if value and not MOBILE_PHONE.match(value):
        raise ValidationError(_("A mobile phone number has 11 digits and starts with 1."), code="phone")


def mask_id_number(value: str | None) -> str:
    """Keep the first and last four characters: 5101**********1234."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first three and last four digits: 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
