"""Resident ID numbers (GB 11643-1999), mainland mobile numbers, and their masking (PIPL art. 28)."""

from __future__ import annotations

import pytest

from crm.domain.pii import id_number_problem, mask_id_number, mask_phone, phone_problem

# Check digit by hand: Σ digit_i × weight_i over the first 17 digits with weights
# 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; the check character is "10X98765432"[Σ mod 11].
VALID_IDS = [
    # 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → X
    pytest.param("11010519491231002X", id="check-X"),
    # 7+9+0+5+0+4+2+9+54+0+0+27+0+35+32+20+2 = 206; 206 mod 11 = 8 → 4
    pytest.param("110101199003074514", id="check-4"),
    # 28+36+0+15+0+32+2+9+54+27+0+9+0+5+0+0+2 = 219; 219 mod 11 = 10 → 2
    pytest.param("440308199901010012", id="check-2"),
    # 2000-02-29 exists (leap year): 7+9+0+5+0+4+4+0+0+0+0+18+20+45+0+0+2 = 114; mod 11 = 4 → 8
    pytest.param("110101200002290018", id="leap-day"),
]


@pytest.mark.parametrize("id_number", VALID_IDS)
def test_a_valid_id_number_has_no_problem(id_number: str) -> None:
    assert id_number_problem(id_number) is None


@pytest.mark.parametrize(
    ("id_number", "problem"),
    [
        pytest.param("110101199003074515", "check digit", id="wrong-check-digit"),
        pytest.param("110105194912310020", "check digit", id="0-instead-of-X"),
        # The next four carry the right check digit for their first 17 digits; only the date is wrong.
        pytest.param("11010119990230001X", "birth date", id="feb-30"),  # Σ 167 → X
        pytest.param("110101190002290011", "birth date", id="1900-not-leap"),  # Σ 121 → 1
        pytest.param("110101199013010012", "birth date", id="month-13"),  # Σ 131 → 2
        pytest.param("110101199000000018", "birth date", id="month-and-day-0"),  # Σ 92 → 8
        pytest.param("11010119900307451", "18 characters", id="17-characters"),
        pytest.param("1101011990030745140", "18 characters", id="19-characters"),
        pytest.param("110101900307451", "18 characters", id="old-15-digit"),
        pytest.param("1101011990030745X4", "18 characters", id="X-not-last"),
        pytest.param("110101 19900307451", "18 characters", id="space"),
        pytest.param("", "18 characters", id="empty"),
        pytest.param("110101199003074514\n", "18 characters", id="trailing-newline"),
        pytest.param("１１０１０５１９４９１２３１００２X", "18 characters", id="full-width-digits"),
    ],
)
def test_an_invalid_id_number_is_explained(id_number: str, problem: str) -> None:
    explanation = id_number_problem(id_number)
    assert explanation is not None
    assert problem in explanation


@pytest.mark.parametrize("phone", ["13800138000", "15912345678", "16612345678", "19987654321"])
def test_a_mainland_mobile_number_is_valid(phone: str) -> None:
    assert phone_problem(phone) is None


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("12800138000", id="second-digit-2"),
        pytest.param("23800138000", id="not-starting-with-1"),
        pytest.param("1380013800", id="10-digits"),
        pytest.param("138001380001", id="12-digits"),
        pytest.param("+8613800138000", id="country-code"),
        pytest.param("138-0013-8000", id="dashes"),
        pytest.param("010-12345678", id="landline"),
        pytest.param("", id="empty"),
        pytest.param("13800138000\n", id="trailing-newline"),
        pytest.param("13８００１３８０００", id="full-width-digits"),
    ],
)
def test_an_invalid_phone_number_is_explained(phone: str) -> None:
    assert phone_problem(phone) is not None


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        pytest.param("110101199003074514", "110101********4514", id="digit-check"),
        pytest.param("11010519491231002X", "110105********002X", id="X-check"),
        pytest.param("1234567890", "****", id="too-short-to-show-anything"),
    ],
)
def test_id_number_masking_keeps_region_and_last_four(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        pytest.param("13800138000", "138****8000", id="mobile"),
        pytest.param("1380013", "****", id="too-short-to-show-anything"),
    ],
)
def test_phone_masking_keeps_prefix_and_last_four(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
