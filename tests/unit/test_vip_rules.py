"""VIP admission and the cultivation list (DOMAIN.md §7, Part 4; 第10条 value segments)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm import rules
from crm.domain.vip import VipRules

VIP = rules.vip()


@pytest.mark.parametrize(
    ("client_class", "vip"),
    [
        ("A+", True),
        ("B+", True),
        ("A", True),
        ("B", True),
        ("C", False),
        ("D", False),
        ("C-", False),
        ("D-", False),
        ("E", False),
        ("F", False),
        ("G", False),
        pytest.param(None, False, id="no-class-yet"),
    ],
)
def test_vip_admission_is_the_classes_from_one_million_up(client_class: str | None, vip: bool) -> None:
    assert VIP.is_vip(client_class) is vip


@pytest.mark.parametrize(
    ("client_class", "segment", "target"),
    [
        ("C", "rising_star", True),
        ("D", "rising_star", True),
        ("C", "gold", False),
        ("D", "free", False),
        ("D", None, False),
        ("C-", "rising_star", False),
        ("B", "rising_star", False),
        ("E", "rising_star", False),
        (None, "rising_star", False),
    ],
)
def test_cultivation_targets_are_c_and_d_rising_stars(
    client_class: str | None, segment: str | None, target: bool
) -> None:
    assert VIP.is_target(client_class, segment) is target


def unknown_vip_class(table: dict) -> None:
    table["vip_classes"].append("AA")


def unknown_target_class(table: dict) -> None:
    table["target_classes"] = ["C", "X"]


def no_vip_classes_key(table: dict) -> None:
    del table["vip_classes"]


def no_segment(table: dict) -> None:
    del table["target_value_segment"]


@pytest.mark.parametrize(
    "breakage",
    [unknown_vip_class, unknown_target_class, no_vip_classes_key, no_segment],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_vip_table_is_refused(breakage: Callable[[dict], None], assert_refused: Callable[..., None]) -> None:
    assert_refused("vip", lambda table: VipRules.from_table(table, rules.classification()), breakage)
