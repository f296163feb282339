"""Client classification by assets and turnover (DOMAIN.md §1, 第4–6条)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.classification import ClassificationRules, YearMetrics, classify, latest
from crm.errors import InvalidInput

RULES = rules.classification()
T = D(3)  # the seed's assumed threshold (DOMAIN.md §1)

# DOMAIN.md §1, order of value, highest first.
CLASS_ORDER = ("A+", "B+", "A", "B", "C", "D", "C-", "D-", "E", "F", "G")
# The two classes of each row of DOMAIN.md §1's table: (turnover ≥ T, turnover < T).
ROW_PAIRS = {("A+", "B+"), ("A", "B"), ("C", "D"), ("C-", "D-"), ("E", "E"), ("F", "F"), ("G", "G")}


def figures(assets: D | str, avg_assets: D | str = "100", trade_volume: D | str = "300") -> YearMetrics:
    return YearMetrics(year=2026, assets=D(assets), avg_assets=D(avg_assets), trade_volume=D(trade_volume))


def test_the_shipped_table_has_the_eleven_classes_in_order_and_t_3() -> None:
    assert RULES.class_order == CLASS_ORDER
    assert RULES.initial_turnover_threshold == T
    assert [RULES.rank(c) for c in CLASS_ORDER] == list(range(11))


@pytest.mark.parametrize(
    ("assets", "high", "low"),
    [
        pytest.param("5000000", "A+", "B+", id="5,000,000"),
        pytest.param("4999999.99", "A", "B", id="4,999,999.99"),
        pytest.param("1000000", "A", "B", id="1,000,000"),
        pytest.param("999999.99", "C", "D", id="999,999.99"),
        pytest.param("500000", "C", "D", id="500,000"),
        pytest.param("499999.99", "C-", "D-", id="499,999.99"),
        pytest.param("100000", "C-", "D-", id="100,000"),
        pytest.param("99999.99", "E", "E", id="99,999.99"),
        pytest.param("10000", "E", "E", id="10,000"),
        pytest.param("9999.99", "F", "F", id="9,999.99-traded"),
        pytest.param("0", "F", "F", id="0-traded"),
    ],
)
def test_band_edges_on_both_sides_of_t(assets: str, high: str, low: str) -> None:
    # avg_assets 100: a volume of 300 is a turnover of exactly T (high), 299.99 just below.
    assert classify(figures(assets, "100", "300"), T, RULES) == high
    assert classify(figures(assets, "100", "299.99"), T, RULES) == low


@pytest.mark.parametrize("assets", ["9999.99", "0"])
def test_below_10000_without_trading_is_dormant(assets: str) -> None:
    assert classify(figures(assets, "5000", "0"), T, RULES) == "G"


def test_zero_average_assets_means_zero_turnover_and_the_low_side() -> None:
    metrics = figures("2000000", avg_assets="0", trade_volume="1000000")
    assert metrics.turnover == 0
    assert classify(metrics, T, RULES) == "B"


def test_turnover_is_volume_over_average_assets() -> None:
    assert figures("0", "400", "1000").turnover == D("2.5")


def test_the_comparison_with_t_is_exact_in_decimal() -> None:
    # In binary floating point 0.1 × 3 > 0.3, which would put this client on the low side.
    assert classify(figures("1000000", "0.1", "0.3"), T, RULES) == "A"


def test_the_threshold_given_is_the_one_applied() -> None:
    metrics = figures("1000000", "100", "250")
    assert classify(metrics, D("2.5"), RULES) == "A"
    assert classify(metrics, D("2.51"), RULES) == "B"


@pytest.mark.parametrize(
    ("assets", "matters"),
    [("5000000", True), ("100000", True), ("99999.99", False), ("9999.99", False)],
)
def test_turnover_matters_only_where_the_row_splits(assets: str, matters: bool) -> None:
    assert RULES.turnover_matters(D(assets)) is matters


@pytest.mark.parametrize("field", ["assets", "avg_assets", "trade_volume"])
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(D("-0.01"), id="negative"),
        pytest.param(D("NaN"), id="nan"),
        pytest.param(D("Infinity"), id="infinity"),
        pytest.param(D("-Infinity"), id="minus-infinity"),
        pytest.param(1.5, id="float"),
    ],
)
def test_a_bad_figure_is_rejected_naming_its_field(field: str, value: object) -> None:
    values = {"assets": D(1), "avg_assets": D(1), "trade_volume": D(1), field: value}
    with pytest.raises(InvalidInput) as caught:
        YearMetrics(year=2026, **values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_latest_picks_the_latest_year_whatever_the_order() -> None:
    years = [YearMetrics(year, D(year), D(1), D(1)) for year in (2024, 2026, 2025)]
    chosen = latest(years)
    assert chosen is not None
    assert chosen.year == 2026


def test_no_metrics_means_no_latest_year() -> None:
    assert latest([]) is None


# --- properties -------------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False)


@given(money, money, money, money)
def test_class_never_rises_as_assets_fall(a: D, b: D, avg_assets: D, trade_volume: D) -> None:
    richer, poorer = max(a, b), min(a, b)
    rich_class = classify(figures(richer, avg_assets, trade_volume), T, RULES)
    poor_class = classify(figures(poorer, avg_assets, trade_volume), T, RULES)
    assert CLASS_ORDER.index(rich_class) <= CLASS_ORDER.index(poor_class)


@given(money, st.decimals(min_value=1, max_value=10**8, places=2))
def test_crossing_t_flips_only_within_one_row(assets: D, avg_assets: D) -> None:
    high = classify(figures(assets, avg_assets, T * avg_assets), T, RULES)
    low = classify(figures(assets, avg_assets, T * avg_assets - D("0.01")), T, RULES)
    assert (high, low) in ROW_PAIRS


# --- rule-table validation ----------------------------------------------------------------------


def swap_two_bands(table: dict) -> None:
    table["bands"][0], table["bands"][1] = table["bands"][1], table["bands"][0]


def repeat_a_lower_bound(table: dict) -> None:
    table["bands"][1]["min_assets"] = table["bands"][0]["min_assets"]


def no_bands(table: dict) -> None:
    table["bands"] = []


def lowest_band_from_zero(table: dict) -> None:
    table["bands"][-1]["min_assets"] = 0


def zero_threshold(table: dict) -> None:
    table["initial_turnover_threshold"] = 0


def negative_threshold(table: dict) -> None:
    table["initial_turnover_threshold"] = -3


def order_misses_a_class(table: dict) -> None:
    table["class_order"].remove("C-")


def order_names_an_unused_class(table: dict) -> None:
    table["class_order"].append("Z")


def order_repeats_a_class(table: dict) -> None:
    table["class_order"].append("A")


def non_numeric_bound(table: dict) -> None:
    table["bands"][0]["min_assets"] = "five million"


def no_dormant_class(table: dict) -> None:
    del table["below_bands"]["dormant"]


def infinite_threshold(table: dict) -> None:
    table["initial_turnover_threshold"] = D("Infinity")


def nan_threshold(table: dict) -> None:
    table["initial_turnover_threshold"] = D("NaN")


def nan_band_bound(table: dict) -> None:
    table["bands"][2]["min_assets"] = D("NaN")


@pytest.mark.parametrize(
    "breakage",
    [
        swap_two_bands,
        repeat_a_lower_bound,
        no_bands,
        lowest_band_from_zero,
        zero_threshold,
        negative_threshold,
        order_misses_a_class,
        order_names_an_unused_class,
        order_repeats_a_class,
        non_numeric_bound,
        no_dormant_class,
        pytest.param(infinite_threshold),
        pytest.param(nan_threshold),
        pytest.param(nan_band_bound),
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_table_is_refused(breakage: Callable[[dict], None], assert_refused: Callable[..., None]) -> None:
    assert_refused("classification", ClassificationRules.from_table, breakage)
