import datetime

import pytest
from django.core.exceptions import ValidationError

from members.identity import id_check_char, mask_id_number, mask_phone, parse_id_number
from members.tests.factories import make_id_number


def test_check_char_matches_the_standard_example():
    # GB 11643-1999's worked example: 11010519491231002X.
    assert id_check_char("11010519491231002") == "X"


def test_parse_returns_birth_date_and_gender():
    number = make_id_number(7, gender="female", birth=datetime.date(1990, 2, 28))
    assert parse_id_number(number) == (datetime.date(1990, 2, 28), "female")


def test_parse_rejects_wrong_check_digit():
    number = make_id_number(7)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        parse_id_number(wrong)
    assert exc.value.code == "id_check_digit"


def test_parse_rejects_birth_date_that_does_not_exist():
    first17 = "51010419900230001"
    with pytest.raises(ValidationError) as exc:
        parse_id_number(first17 + id_check_char(first17))
    assert exc.value.code == "id_birth"


def test_parse_rejects_wrong_length():
    with pytest.raises(ValidationError) as exc:
        parse_id_number("5101041990")
    assert exc.value.code == "id_shape"


def test_masks_keep_only_the_ends():
    assert mask_id_number("510104199001011234") == "5101**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number(None) == "" and mask_phone("") == ""
