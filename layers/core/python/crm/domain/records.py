"""Keeping records (证券法（2019）第137条, DOMAIN §14): how long the archive of every change is locked.

The law keeps account-opening records, orders, trades and the information of internal management
and business operations at least 20 years, unaltered. The tables hold the records (retained and
protected from deletion by the stack) and every change of them reaches the audit archive, whose
object lock in COMPLIANCE mode makes each archived batch undeletable for `archive_retention_years`.

The topology declares the archive from these rules, so every function loads them at its cold
start: `RecordRules` is a NamedTuple (a quarter of a frozen dataclass's cost to define, as the
topology's kinds are) and this module imports nothing beyond the rule-table checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from crm.domain.rule_values import whole_number
from crm.errors import RuleTableError

# The law's minimum: a table may keep records longer, never shorter.
MIN_RETENTION_YEARS = 20
# S3 takes a default retention of at most 36,500 days (CDK's `ObjectLockRetention` refuses more):
# 99 calendar years are at most 36,160 days, 100 up to 36,525, one leap day too many.
MAX_RETENTION_YEARS = 99


def retention_days(years: int) -> int:
    """The fewest days that are never shorter than `years` calendar years, whatever the day they
    start: 365 a year and one for each 29 February the span can hold. Leap years are at least
    four years apart, so `years` consecutive years hold at most ⌈years / 4⌉ of them (20 years:
    5, so 7,305 days; 20 × 365 = 7,300 would end up to five days before the twentieth anniversary)."""
    return 365 * years + -(-years // 4)


class RecordRules(NamedTuple):
    version: str
    archive_retention_years: int

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> RecordRules:
        try:
            rules = cls(
                version=str(table["version"]),
                archive_retention_years=whole_number(table["archive_retention_years"]),
            )
        except (KeyError, ValueError) as exc:
            raise RuleTableError(f"records table: {exc!r}") from exc
        if not MIN_RETENTION_YEARS <= rules.archive_retention_years <= MAX_RETENTION_YEARS:
            raise RuleTableError(
                f"records table: archive_retention_years is {rules.archive_retention_years}, not from "
                f"{MIN_RETENTION_YEARS} (证券法 第137条: at least 20 years) to {MAX_RETENTION_YEARS}"
            )
        return rules

    @property
    def archive_retention_days(self) -> int:
        """The archive's lock in days (S3 counts a default retention's Days exactly, from the write)."""
        return retention_days(self.archive_retention_years)
