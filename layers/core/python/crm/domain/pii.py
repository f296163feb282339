"""Sensitive personal information, ID numbers and mobile numbers: their checks and their masking.

PIPL art. 28 and JR/T 0171 (grade C2) ask for both to be masked on display and never to
appear in logs. Kept apart from the client record so that loggers can use it without loading
the record's model.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only: full-width digits are refused
_MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")


def id_number_problem(id_number: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643-1999) is invalid, or None when it is valid."""
    if not _ID_PATTERN.fullmatch(id_number):
        return "must be 18 characters: 17 digits and a digit or X"
    try:
        date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return "holds an impossible birth date"
    total = sum(int(digit) * weight for digit, weight in zip(id_number[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != id_number[17]:
        return "fails its check digit"
    return None


def phone_problem(phone: str) -> str | None:
    return None if _MOBILE_PATTERN.fullmatch(phone) else "must be an 11-digit mainland mobile number"


def mask_id_number(id_number: str) -> str:
    """110101199003074514 → 110101********4514 (region code and last four stay)."""
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:] if len(id_number) > 10 else "****"


def mask_phone(phone: str) -> str:
    """13800138000 → 138****8000."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "****"


_PII_IN_TEXT = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9})(?![0-9])")


def redact(text: str) -> str:
    """Free text with every ID number and mobile number in it masked (for logs)."""
    return _PII_IN_TEXT.sub(lambda m: mask_id_number(m[0]) if len(m[0]) == 18 else mask_phone(m[0]), text)


PII_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "phone_before": mask_phone, "phone_after": mask_phone}


def mask_pii(values: dict[str, Any]) -> dict[str, Any]:
    """The same fields with ID and phone numbers masked, for roles that do not need them."""
    return {k: PII_MASKS[k](v) if k in PII_MASKS and isinstance(v, str) else v for k, v in values.items()}
