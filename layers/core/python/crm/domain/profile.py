"""The manager's qualitative profile of a client, tracked over time (第9–11条; DOMAIN §2.3).

Trading habit (第9条), value segment (第10条) and decision style (第11条) are entered by the
client's manager and kept as history (持续跟踪调整), never overwritten silently. The system may
suggest a habit from the average holding period; the suggestion stands beside the manager's
entry and never replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crm.domain.rule_values import whole_number
from crm.errors import RuleTableError


class TradingHabit(StrEnum):
    SHORT_TERM = "short_term"  # 短线: index futures, ChiNext, warrants, margin, frequent trading
    SWING = "swing"  # 波段: holding one to three months
    VALUE = "value"  # 价值: holding over three months, or bonds


class ValueSegment(StrEnum):
    GOLD = "gold"  # 黄金客户: high current and future value
    RISING_STAR = "rising_star"  # 明日之星: low current, high future value
    MAINTAIN = "maintain"  # 维护型: high current, low future value
    FREE = "free"  # 自由型: low, low


class DecisionStyle(StrEnum):
    RISK_AVERSE = "risk_averse"  # 风险规避型
    DEPENDENT = "dependent"  # 依赖型
    INDEPENDENT = "independent"  # 独立决策型
    HIGHLY_AUTONOMOUS = "highly_autonomous"  # 高度自主决策型


@dataclass(frozen=True)
class ProfileRules:
    version: str
    swing_from_days: int
    value_from_days: int

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> ProfileRules:
        try:
            rules = cls(
                version=str(table["version"]),
                swing_from_days=whole_number(table["habit_by_holding_days"]["swing_from"]),
                value_from_days=whole_number(table["habit_by_holding_days"]["value_from"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleTableError(f"profile table: {exc!r}") from exc
        if not 0 < rules.swing_from_days < rules.value_from_days:
            raise RuleTableError("profile table: 0 < swing_from < value_from")
        return rules


def suggest_habit(avg_holding_days: Decimal | None, rules: ProfileRules) -> TradingHabit | None:
    """A habit suggested by how long the client holds a position, when that is known (第9条)."""
    if avg_holding_days is None:
        return None
    if avg_holding_days >= rules.value_from_days:
        return TradingHabit.VALUE
    if avg_holding_days >= rules.swing_from_days:
        return TradingHabit.SWING
    return TradingHabit.SHORT_TERM


@dataclass(frozen=True)
class Profile:
    trading_habit: TradingHabit | None = None
    value_segment: ValueSegment | None = None
    decision_style: DecisionStyle | None = None
    note: str | None = None


@dataclass(frozen=True)
class ProfileChange:
    client_id: str
    before: Profile
    after: Profile
    by: str
    at: datetime
