"""How long a client's risk assessment stands (第8条 5; DOMAIN §2.2: a client with no *valid*
questionnaire matches nothing; `assessment_valid_years` in `rules/suitability.toml`, DEFAULT 2).

Apart from the product rules because every read of a client shows when its assessment expires:
that needs one number of the suitability table, not its rule sets and catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from crm.domain.rule_values import whole_number
from crm.domain.time import BEIJING, beijing
from crm.errors import RuleTableError


def valid_years(table: Mapping[str, Any]) -> int:
    """The suitability table's `assessment_valid_years`: a whole number of at least one year."""
    try:
        years = whole_number(table["assessment_valid_years"])
    except (KeyError, ValueError) as exc:
        raise RuleTableError(f"suitability table: assessment_valid_years: {exc!r}") from exc
    if years < 1:
        raise RuleTableError("suitability table: an assessment is valid for at least a year")
    return years


def assessment_expiry(assessed_at: datetime, valid_years: int) -> datetime:
    """An assessment is valid for `valid_years`: it expires at the start (00:00 Beijing) of that
    anniversary of its day."""
    day = beijing(assessed_at).date()
    try:
        anniversary = day.replace(year=day.year + valid_years)
    except ValueError:  # assessed on 29 February
        anniversary = day.replace(year=day.year + valid_years, day=28)
    return datetime.combine(anniversary, time(0), tzinfo=BEIJING)
