"""Masking of sensitive personal information: ID numbers and mobile numbers.

PIPL art. 28 and JR/T 0171 (grade C2) ask for both to be masked on display and never to
appear in logs. Kept apart from the client record so that loggers can use it without loading
the record's model.
"""

from __future__ import annotations

import re
from typing import Any


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
