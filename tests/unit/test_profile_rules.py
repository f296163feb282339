"""Suggesting a trading habit from the average holding period (第9条; DOMAIN.md §2.3), and the
refusal of broken profile tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.profile import ProfileRules, TradingHabit, suggest_habit

RULES = rules.profile()
# Shortest holding first: a longer holding never suggests a shorter-term habit.
HABIT_ORDER = [TradingHabit.SHORT_TERM, TradingHabit.SWING, TradingHabit.VALUE]


def test_without_a_holding_period_nothing_is_suggested() -> None:
    assert suggest_habit(None, RULES) is None


@pytest.mark.parametrize(
    ("days", "habit"),
    [
        ("0", TradingHabit.SHORT_TERM),
        ("0.5", TradingHabit.SHORT_TERM),
        ("29.99", TradingHabit.SHORT_TERM),
        ("30", TradingHabit.SWING),
        ("60", TradingHabit.SWING),
        ("90.99", TradingHabit.SWING),
        ("91", TradingHabit.VALUE),
        ("365", TradingHabit.VALUE),
    ],
    ids=str,
)
def test_the_holding_period_suggests_a_habit(days: str, habit: TradingHabit) -> None:
    assert suggest_habit(D(days), RULES) is habit


def test_the_bounds_are_data() -> None:
    assert (RULES.swing_from_days, RULES.value_from_days) == (30, 91)
    shorter = replace(RULES, swing_from_days=7, value_from_days=30)
    assert suggest_habit(D(7), shorter) is TradingHabit.SWING
    assert suggest_habit(D(30), shorter) is TradingHabit.VALUE


@given(
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.decimals(min_value=0, max_value=10_000, places=2),
)
def test_a_longer_holding_never_suggests_a_shorter_habit(a: D, b: D) -> None:
    shorter, longer = sorted((a, b))
    short_habit, long_habit = suggest_habit(shorter, RULES), suggest_habit(longer, RULES)
    assert short_habit is not None
    assert long_habit is not None
    assert HABIT_ORDER.index(short_habit) <= HABIT_ORDER.index(long_habit)


Table = dict[str, Any]


def swing_from_zero(table: Table) -> None:
    table["habit_by_holding_days"]["swing_from"] = 0


def swing_from_negative(table: Table) -> None:
    table["habit_by_holding_days"]["swing_from"] = -30


def bounds_equal(table: Table) -> None:
    table["habit_by_holding_days"]["value_from"] = table["habit_by_holding_days"]["swing_from"]


def bounds_reversed(table: Table) -> None:
    table["habit_by_holding_days"].update(swing_from=91, value_from=30)


def bound_not_a_number(table: Table) -> None:
    table["habit_by_holding_days"]["value_from"] = "three months"


def bound_missing(table: Table) -> None:
    del table["habit_by_holding_days"]["swing_from"]


def no_habit_table(table: Table) -> None:
    del table["habit_by_holding_days"]


def no_version(table: Table) -> None:
    del table["version"]


def fractional_swing_from(table: Table) -> None:
    table["habit_by_holding_days"]["swing_from"] = D("29.5")


def fractional_value_from(table: Table) -> None:
    table["habit_by_holding_days"]["value_from"] = D("90.5")


@pytest.mark.parametrize(
    "breakage",
    [
        swing_from_zero,
        swing_from_negative,
        bounds_equal,
        bounds_reversed,
        bound_not_a_number,
        bound_missing,
        no_habit_table,
        no_version,
        fractional_swing_from,
        fractional_value_from,
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_profile_table_is_refused(
    breakage: Callable[[Table], None], assert_refused: Callable[..., None]
) -> None:
    assert_refused("profile", ProfileRules.from_table, breakage)
