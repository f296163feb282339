"""The year-end recalibration of the turnover threshold `T` (第6条; DOMAIN.md §1), and the two
fields of a reclassification it relies on: whether turnover decides the client's class (the
client is then in the index a recalibration reads) and whether the client is a target VIP (§7)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm import rules
from crm.domain.classification import ClassCause, Threshold, YearMetrics
from crm.domain.client import Client
from crm.domain.profile import Profile, ValueSegment
from crm.domain.recalibration import Recalibration, YearTurnover, recalibrate, threshold_version, years_to_average
from crm.domain.reclassification import Reclassification, reclassify
from crm.domain.time import BEIJING

CLASSIFICATION = rules.classification()
VIP = rules.vip()
SEED_T = Threshold(value=D(3), version="initial")  # the seed's assumed T (DOMAIN.md §1)
NEW_YEAR = 2027
AT = datetime(2027, 1, 1, 0, 5, tzinfo=BEIJING)  # just after the year turns, Beijing time


def year(number: int, trade_volume: D | str | int, avg_assets: D | str | int, clients: int = 100) -> YearTurnover:
    return YearTurnover(year=number, trade_volume=D(trade_volume), avg_assets=D(avg_assets), clients=clients)


def recalibrated(*figures: YearTurnover, previous: Threshold = SEED_T) -> Recalibration:
    return recalibrate(NEW_YEAR, previous, figures, CLASSIFICATION, at=AT)


# --- which years, and the company turnover of one year ---------------------------------------


def test_the_mean_is_taken_over_the_three_complete_years_before_the_new_one() -> None:
    assert years_to_average(2027, CLASSIFICATION) == [2024, 2025, 2026]
    assert years_to_average(2026, CLASSIFICATION) == [2023, 2024, 2025]


def test_the_number_of_years_is_data() -> None:
    assert CLASSIFICATION.recalibration_years == 3
    assert years_to_average(2027, replace(CLASSIFICATION, recalibration_years=1)) == [2026]


def test_company_turnover_is_total_volume_over_total_average_assets_not_a_mean_of_clients() -> None:
    # Two clients in 2026: a large one turning its assets over once, a small one nine times.
    large = YearMetrics(year=2026, assets=D(900_000), avg_assets=D(900_000), trade_volume=D(900_000))
    small = YearMetrics(year=2026, assets=D(100_000), avg_assets=D(100_000), trade_volume=D(900_000))
    assert (large.turnover, small.turnover) == (D(1), D(9))  # a mean of client turnovers would be 5
    company = year(2026, trade_volume=900_000 + 900_000, avg_assets=900_000 + 100_000, clients=2)
    assert company.turnover == D("1.8")
    assert recalibrated(company).new.value == D("1.8000")


def test_a_year_without_average_assets_has_no_turnover() -> None:
    assert year(2026, trade_volume=0, avg_assets=0).turnover is None
    assert year(2026, trade_volume=0, avg_assets=1).turnover == D(0)


# --- the new T ---------------------------------------------------------------------------------


def test_new_t_is_the_mean_of_three_yearly_turnovers() -> None:
    figures = (year(2024, 3_000_000, 1_000_000), year(2025, 9_000_000, 2_000_000), year(2026, 4_800_000, 2_000_000))
    assert [f.turnover for f in figures] == [D(3), D("4.5"), D("2.4")]
    result = recalibrated(*figures)
    assert result.new.value == D("3.3000")
    assert result.changed
    assert (result.year, result.previous, result.at) == (NEW_YEAR, SEED_T, AT)
    assert result.figures == figures


def test_new_t_is_rounded_to_four_places() -> None:
    # 1, 2 and 2: the mean 1.666… is kept to four places.
    result = recalibrated(year(2024, 100, 100), year(2025, 200, 100), year(2026, 200, 100))
    assert result.new.value == D("1.6667")
    assert result.new.value.as_tuple().exponent == -CLASSIFICATION.threshold_places == -4


@pytest.mark.parametrize(
    ("turnover", "expected"),
    [
        pytest.param("2.00004", "2.0000", id="4-rounds-down"),
        pytest.param("2.00006", "2.0001", id="6-rounds-up"),
        pytest.param("2.00005", "2.0000", id="5-after-even-rounds-down"),
        pytest.param("2.00015", "2.0002", id="5-after-odd-rounds-up"),
    ],
)
def test_the_fifth_decimal_decides_half_even(turnover: str, expected: str) -> None:
    assert recalibrated(year(2026, D(turnover) * 100_000, 100_000)).new.value == D(expected)


def test_a_mean_of_three_years_whose_fifth_decimal_is_five_rounds_half_even() -> None:
    # (2.0000 + 2.0001 + 2.00005) / 3 = 2.00005: half-up would give 2.0001.
    figures = (year(2024, 200_000, 100_000), year(2025, 200_010, 100_000), year(2026, 200_005, 100_000))
    assert recalibrated(*figures).new.value == D("2.0000")


@pytest.mark.parametrize(
    "figures",
    [
        pytest.param((year(2025, 4_000, 1_000), year(2026, 5_000, 1_000)), id="two-years"),
        pytest.param((year(2024, 0, 0), year(2025, 4_000, 1_000), year(2026, 5_000, 1_000)), id="one-year-empty"),
    ],
)
def test_with_two_usable_years_new_t_is_their_mean(figures: tuple[YearTurnover, ...]) -> None:
    result = recalibrated(*figures)
    assert result.new.value == D("4.5000")
    assert [f.year for f in result.figures] == [2025, 2026]


def test_with_one_usable_year_new_t_is_its_turnover() -> None:
    result = recalibrated(year(2026, 2_500, 1_000))
    assert result.new.value == D("2.5000")
    assert [f.year for f in result.figures] == [2026]


@pytest.mark.parametrize(
    "figures",
    [
        pytest.param((), id="no-years"),
        pytest.param((year(2024, 0, 0), year(2025, 0, 0), year(2026, 0, 0)), id="no-average-assets"),
    ],
)
def test_with_no_usable_year_t_is_kept(figures: tuple[YearTurnover, ...]) -> None:
    result = recalibrated(*figures)
    assert result.new == SEED_T
    assert not result.changed
    assert result.figures == ()


def test_a_mean_of_zero_when_nobody_traded_keeps_t() -> None:
    result = recalibrated(year(2024, 0, 1_000), year(2025, 0, 2_000), year(2026, 0, 3_000))
    assert result.new == SEED_T
    assert not result.changed


def test_the_same_value_again_is_no_change() -> None:
    result = recalibrated(year(2026, 3_000, 1_000))
    assert result.new.value == D(3)
    assert not result.changed


def test_the_new_threshold_version_names_the_year() -> None:
    result = recalibrated(year(2026, 2_000, 1_000))
    assert result.new.version == threshold_version(NEW_YEAR)
    assert str(NEW_YEAR) in result.new.version
    assert threshold_version(2027) != threshold_version(2028)


def test_the_number_of_places_is_data() -> None:
    two_places = replace(CLASSIFICATION, threshold_places=2)
    result = recalibrate(NEW_YEAR, SEED_T, [year(2026, 1, 3)], two_places, at=AT)
    assert result.new.value == D("0.33")


# --- the clients a change of T can move ----------------------------------------------------------


@pytest.mark.parametrize(
    ("turnover", "expected_range"),
    [
        pytest.param(4, (D(3), D("4.0000")), id="T-rises"),
        pytest.param("2.5", (D("2.5000"), D(3)), id="T-falls"),
        pytest.param(3, (D(3), D(3)), id="T-stays"),
    ],
)
def test_the_candidate_range_spans_old_and_new_t(turnover: int | str, expected_range: tuple[D, D]) -> None:
    result = recalibrated(year(2026, D(turnover) * 1_000, 1_000))
    assert result.candidate_range() == expected_range


@st.composite
def company_years(draw: st.DrawFn) -> YearTurnover:
    """A year in which the company turned its assets over at least 0.001 times (so the mean is
    well clear of zero, which would keep T)."""
    avg_assets = draw(st.integers(min_value=1, max_value=10**12))
    trade_volume = draw(st.integers(min_value=-(-avg_assets // 1000), max_value=50 * avg_assets))
    return year(2026, trade_volume, avg_assets)


@given(st.lists(company_years(), min_size=1, max_size=3))
def test_new_t_lies_between_the_lowest_and_highest_yearly_turnover(figures: list[YearTurnover]) -> None:
    dated = [replace(f, year=2026 - n) for n, f in enumerate(figures)]
    turnovers = [f.turnover for f in dated if f.turnover is not None]
    half_unit = D("0.00005")  # rounding to four places moves a value by at most this much
    result = recalibrated(*dated)
    assert min(turnovers) - half_unit <= result.new.value <= max(turnovers) + half_unit
    assert result.new.value.as_tuple().exponent == -4
    assert result.changed is (result.new.value != SEED_T.value)
    low, high = result.candidate_range()
    assert {low, high} == {SEED_T.value, result.new.value}


# --- reclassification: turnover_decides and vip_target -------------------------------------------


# DOMAIN.md §7: target VIPs are class C/D clients rated 明日之星; nobody else.
TARGETS = {("C", ValueSegment.RISING_STAR), ("D", ValueSegment.RISING_STAR)}


def client(value_segment: ValueSegment | None = None) -> Client:
    return Client(
        client_id="c-1",
        name="张三",
        id_number="110101199003074514",
        phone="13800138000",
        branch_id="b-1",
        manager_id="m-1",
        opened_on=date(2026, 1, 5),
        created_at=datetime(2026, 1, 5, 9, 30, tzinfo=BEIJING),
        created_by="counter-1",
        profile=Profile(value_segment=value_segment),
    )


def decided(assets: str, trade_volume: str, value_segment: ValueSegment | None = None) -> Reclassification:
    # avg_assets 100: a volume of 300 is a turnover of exactly T = 3 (high), 100 is 1 (low).
    metrics = YearMetrics(year=2026, assets=D(assets), avg_assets=D(100), trade_volume=D(trade_volume))
    result = reclassify(
        client(value_segment), metrics, SEED_T, CLASSIFICATION, VIP, cause=ClassCause.METRICS, at=AT, change_id="c"
    )
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("assets", "high", "low", "decides"),
    [
        pytest.param("6000000", "A+", "B+", True, id="A+/B+"),
        pytest.param("5000000", "A+", "B+", True, id="A+/B+-lower-edge"),
        pytest.param("4999999.99", "A", "B", True, id="A/B"),
        pytest.param("1000000", "A", "B", True, id="A/B-lower-edge"),
        pytest.param("999999.99", "C", "D", True, id="C/D"),
        pytest.param("500000", "C", "D", True, id="C/D-lower-edge"),
        pytest.param("499999.99", "C-", "D-", True, id="C-/D-"),
        pytest.param("100000", "C-", "D-", True, id="C-/D--lower-edge"),
        pytest.param("99999.99", "E", "E", False, id="E"),
        pytest.param("10000", "E", "E", False, id="E-lower-edge"),
        pytest.param("9999.99", "F", "F", False, id="F"),
        pytest.param("0", "F", "F", False, id="F-no-assets"),
    ],
)
def test_turnover_decides_exactly_where_the_two_sides_of_t_differ(
    assets: str, high: str, low: str, decides: bool
) -> None:
    high_side, low_side = decided(assets, "300"), decided(assets, "100")
    assert (high_side.client_class, low_side.client_class) == (high, low)
    assert high_side.turnover_decides is decides
    assert low_side.turnover_decides is decides


def test_turnover_does_not_decide_for_a_dormant_client() -> None:
    result = decided("5000", "0")
    assert result.client_class == "G"
    assert result.turnover_decides is False


@pytest.mark.parametrize(
    ("assets", "trade_volume", "client_class"),
    [
        ("6000000", "300", "A+"),
        ("2000000", "100", "B"),
        ("600000", "300", "C"),
        ("600000", "100", "D"),
        ("200000", "300", "C-"),
        ("200000", "100", "D-"),
        ("50000", "300", "E"),
        ("5000", "0", "G"),
    ],
)
@pytest.mark.parametrize("segment", [*ValueSegment, None], ids=str)
def test_vip_target_is_a_c_or_d_client_rated_rising_star(
    assets: str, trade_volume: str, client_class: str, segment: ValueSegment | None
) -> None:
    result = decided(assets, trade_volume, segment)
    assert result.client_class == client_class
    assert result.vip_target is ((client_class, segment) in TARGETS)


def test_rising_star_is_the_value_segment_code_of_明日之星() -> None:
    assert ValueSegment.RISING_STAR == "rising_star"
    assert VIP.target_value_segment == "rising_star"
