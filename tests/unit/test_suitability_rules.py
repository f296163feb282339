"""Product suitability (第8条 5; DOMAIN.md §2.2) under the seed's four levels and the C1–C5 × R1–R5
rule set, the assessment's validity, the catalogue, the high-risk businesses (第48–49条) and the
refusal of broken rule tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from crm import rules
from crm.domain.assessment import assessment_expiry, valid_years
from crm.domain.risk_level import RiskLevel
from crm.domain.suitability import SuitabilityRules, Verdict, judge
from crm.domain.time import BEIJING
from crm.errors import InvalidInput

RULES = rules.suitability()
QUESTIONNAIRE = rules.questionnaire()
ASSESSED = datetime(2025, 3, 10, 10, 0, tzinfo=BEIJING)
SOON_AFTER = ASSESSED + timedelta(days=30)

# DOMAIN.md §2.2 DEFAULT matching: risk level → the fund tiers it may take.
SEED_MATCH = {
    RiskLevel.VERY_LOW: {"low"},
    RiskLevel.LOW: {"low"},
    RiskLevel.MEDIUM: {"low", "medium"},
    RiskLevel.HIGH: {"low", "medium", "high"},
}
# A score of each level (DOMAIN.md §2.1: ≤18 very low, 19–35 low, 36–45 medium, 46–60 high).
SCORE_OF = {RiskLevel.VERY_LOW: 16, RiskLevel.LOW: 27, RiskLevel.MEDIUM: 40, RiskLevel.HIGH: 55}
# A shipped product of each tier.
PRODUCT_OF_TIER = {"low": "money_market", "medium": "standard_bond", "high": "standard_equity"}

# C1–C5 × R1–R5: Cn may take R1..Rn.
CR_MATCH = {
    "C1": {"R1"},
    "C2": {"R1", "R2"},
    "C3": {"R1", "R2", "R3"},
    "C4": {"R1", "R2", "R3", "R4"},
    "C5": {"R1", "R2", "R3", "R4", "R5"},
}
# A score in each category, and a shipped product of each risk class.
SCORE_OF_CATEGORY = {"C1": 16, "C2": 25, "C3": 35, "C4": 45, "C5": 55}
PRODUCT_OF_CLASS = {
    "R1": "money_market",
    "R2": "standard_bond",
    "R3": "balanced",
    "R4": "standard_equity",
    "R5": "structured_note",
}

# 第8条 5: the fund types and their risk tiers.
FUND_TIERS = {
    "标准股票型": "high",
    "普通股票型": "high",
    "标准指数型": "high",
    "增强指数型": "high",
    "偏股型": "high",
    "股债平衡型": "high",
    "灵活配置型": "high",
    "偏债型": "medium",
    "标准债券型": "medium",
    "普通债券型": "medium",
    "中短债型": "low",
    "保本型": "low",
    "货币型": "low",
}
# 第48–49条: businesses that need a signed risk disclosure before they are enabled.
HIGH_RISK_BUSINESSES = {"warrants": "权证", "margin": "融资融券", "chinext": "创业板", "index_futures": "股指期货"}


def verdict_for(
    product_id: str,
    score: int | None,
    *,
    rule_set: str | None = None,
    assessed_at: datetime | None = ASSESSED,
    now: datetime = SOON_AFTER,
) -> Verdict:
    """The verdict for a client whose questionnaire scored `score` (None: no questionnaire)."""
    return judge(
        RULES.product(product_id),
        risk_level=QUESTIONNAIRE.level_for(score) if score is not None else None,
        score=score,
        assessed_at=assessed_at if score is not None else None,
        now=now,
        rules=RULES,
        rule_set_name=rule_set,
    )


# --- the seed's four levels (the default) ----------------------------------------------------------


def test_the_seed_rule_set_is_active_by_default() -> None:
    assert RULES.active == "seed"
    assert verdict_for("money_market", 40).rule_set == "seed"


@pytest.mark.parametrize(("level", "score"), SCORE_OF.items(), ids=str)
def test_the_scores_used_here_give_their_level(level: RiskLevel, score: int) -> None:
    assert QUESTIONNAIRE.level_for(score) is level


@pytest.mark.parametrize("tier", ["low", "medium", "high"])
@pytest.mark.parametrize("level", list(RiskLevel), ids=str)
def test_seed_levels_take_their_tiers_only(level: RiskLevel, tier: str) -> None:
    product = RULES.product(PRODUCT_OF_TIER[tier])
    verdict = verdict_for(product.product_id, SCORE_OF[level])
    assert verdict.allowed is (tier in SEED_MATCH[level])
    assert (verdict.rule_set, verdict.client_level, verdict.product_level) == ("seed", level.value, tier)
    assert product.name in verdict.reason
    assert level.value in verdict.reason
    if not verdict.allowed:
        assert verdict.acknowledgement_accepted, "a seed client who insists may sign a 郑重提醒"


# --- C1–C5 investors × R1–R5 products --------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (14, "C1"),
        (18, "C1"),
        (19, "C2"),
        (29, "C2"),
        (30, "C3"),
        (39, "C3"),
        (40, "C4"),
        (49, "C4"),
        (50, "C5"),
        (60, "C5"),
    ],
    ids=str,
)
def test_scores_map_to_categories(score: int, category: str) -> None:
    assert verdict_for("money_market", score, rule_set="c_r").client_level == category


@pytest.mark.parametrize("risk_class", ["R1", "R2", "R3", "R4", "R5"])
@pytest.mark.parametrize("category", ["C1", "C2", "C3", "C4", "C5"])
def test_cn_takes_r1_to_rn(category: str, risk_class: str) -> None:
    product = RULES.product(PRODUCT_OF_CLASS[risk_class])
    verdict = verdict_for(product.product_id, SCORE_OF_CATEGORY[category], rule_set="c_r")
    assert verdict.allowed is (risk_class in CR_MATCH[category])
    assert (verdict.rule_set, verdict.client_level, verdict.product_level) == ("c_r", category, risk_class)
    assert product.name in verdict.reason
    assert category in verdict.reason


@pytest.mark.parametrize(
    ("category", "product_id", "accepted"),
    [
        pytest.param("C1", "standard_bond", False, id="C1-R2-never"),
        pytest.param("C1", "structured_note", False, id="C1-R5-never"),
        pytest.param("C2", "balanced", True, id="C2-R3"),
        pytest.param("C3", "standard_equity", True, id="C3-R4"),
        pytest.param("C4", "structured_note", True, id="C4-R5"),
    ],
)
def test_only_c1_is_never_overridden(category: str, product_id: str, accepted: bool) -> None:
    verdict = verdict_for(product_id, SCORE_OF_CATEGORY[category], rule_set="c_r")
    assert not verdict.allowed
    assert verdict.acknowledgement_accepted is accepted
    assert RULES.rule_set("c_r").never_overridden == {"C1"}


# --- no questionnaire, and its validity ------------------------------------------------------------


@pytest.mark.parametrize("rule_set", ["seed", "c_r"])
@pytest.mark.parametrize("product_id", ["money_market", "standard_equity"])
def test_without_a_questionnaire_nothing_matches(rule_set: str, product_id: str) -> None:
    verdict = verdict_for(product_id, None, rule_set=rule_set)
    assert not verdict.allowed
    assert not verdict.acknowledgement_accepted
    assert (verdict.client_level, verdict.assessment_expires_at) == (None, None)
    assert "questionnaire" in verdict.reason


@pytest.mark.parametrize(
    ("assessed_at", "expires_on"),
    [
        pytest.param(datetime(2025, 3, 10, 10, 0, tzinfo=BEIJING), "2027-03-10", id="2-years"),
        pytest.param(datetime(2024, 2, 29, 10, 0, tzinfo=BEIJING), "2026-02-28", id="29-Feb-to-28-Feb"),
        pytest.param(datetime.fromisoformat("2025-03-09T20:00:00+00:00"), "2027-03-10", id="Beijing-day"),
    ],
)
def test_an_assessment_expires_two_years_after_its_beijing_day(assessed_at: datetime, expires_on: str) -> None:
    assert RULES.assessment_valid_years == 2
    expires = assessment_expiry(assessed_at, RULES.assessment_valid_years)
    assert expires.astimezone(BEIJING).date().isoformat() == expires_on


@pytest.mark.parametrize(
    ("assessed_at", "last_valid", "first_expired"),
    [
        pytest.param(
            datetime(2025, 3, 10, 10, 0, tzinfo=BEIJING),
            datetime(2027, 3, 9, 23, 59, 59, tzinfo=BEIJING),
            datetime(2027, 3, 10, 10, 0, tzinfo=BEIJING),
            id="2-years",
        ),
        pytest.param(
            datetime(2024, 2, 29, 10, 0, tzinfo=BEIJING),
            datetime(2026, 2, 27, 23, 59, 59, tzinfo=BEIJING),
            datetime(2026, 2, 28, 10, 0, tzinfo=BEIJING),
            id="29-Feb",
        ),
    ],
)
def test_valid_the_day_before_the_second_anniversary_and_expired_on_it(
    assessed_at: datetime, last_valid: datetime, first_expired: datetime
) -> None:
    valid = verdict_for("money_market", 40, assessed_at=assessed_at, now=last_valid)
    assert valid.allowed
    assert valid.assessment_expires_at == assessment_expiry(assessed_at, RULES.assessment_valid_years)

    expired = verdict_for("money_market", 40, assessed_at=assessed_at, now=first_expired)
    assert not expired.allowed
    assert not expired.acknowledgement_accepted
    assert expired.client_level is None
    assert expired.assessment_expires_at == assessment_expiry(assessed_at, RULES.assessment_valid_years)
    assert "expired" in expired.reason
    assert first_expired.date().isoformat() in expired.reason


def test_an_assessment_is_expired_all_day_on_its_second_anniversary() -> None:
    assessed_at = datetime(2025, 3, 10, 15, 0, tzinfo=BEIJING)
    morning_of_anniversary = datetime(2027, 3, 10, 9, 0, tzinfo=BEIJING)
    assert not verdict_for("money_market", 40, assessed_at=assessed_at, now=morning_of_anniversary).allowed


# --- catalogue, businesses and unknown names -------------------------------------------------------


@pytest.mark.parametrize(("fund_type", "tier"), FUND_TIERS.items())
def test_the_catalogue_holds_each_fund_type_with_its_tier(fund_type: str, tier: str) -> None:
    products = [p for p in RULES.products.values() if p.name == f"{fund_type}基金"]
    assert [p.tier for p in products] == [tier]


def test_the_high_risk_businesses_are_the_four_of_the_seed() -> None:
    assert {b: RULES.business(b).name for b in RULES.businesses} == HIGH_RISK_BUSINESSES


@pytest.mark.parametrize(
    ("lookup", "field"),
    [
        pytest.param(lambda: RULES.product("bitcoin_fund"), "product_id", id="product"),
        pytest.param(lambda: RULES.business("options"), "business", id="business"),
        pytest.param(lambda: RULES.rule_set("mifid"), "rule_set", id="rule-set"),
        pytest.param(lambda: verdict_for("money_market", 40, rule_set="mifid"), "rule_set", id="judge-rule-set"),
    ],
)
def test_unknown_names_are_invalid_input_naming_the_field(lookup: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        lookup()
    assert raised.value.field == field


# --- broken tables ---------------------------------------------------------------------------------

Table = dict[str, Any]


def unknown_active_set(table: Table) -> None:
    table["active"] = "mifid"


def unknown_tier(table: Table) -> None:
    table["products"]["money_market"]["tier"] = "very_low"


def unknown_risk_class(table: Table) -> None:
    table["products"]["structured_note"]["risk_class"] = "R6"


def level_missing(table: Table) -> None:
    del table["rule_sets"]["seed"]["allowed"]["very_low"]


def unknown_level(table: Table) -> None:
    table["rule_sets"]["seed"]["allowed"]["extreme"] = ["high"]


def level_with_unknown_tier(table: Table) -> None:
    table["rule_sets"]["seed"]["allowed"]["high"] = ["low", "medium", "extreme"]


def categories(table: Table) -> list[Table]:
    rows: list[Table] = table["rule_sets"]["c_r"]["categories"]
    return rows


def categories_ascending(table: Table) -> None:
    categories(table).reverse()


def categories_not_down_to_zero(table: Table) -> None:
    categories(table)[-1]["min_score"] = 14


def category_outside_c1_to_c5(table: Table) -> None:
    categories(table)[0]["category"] = "C6"


def validity_under_a_year(table: Table) -> None:
    table["assessment_valid_years"] = 0


def unknown_kind(table: Table) -> None:
    table["rule_sets"]["c_r"]["kind"] = "matrix"


def no_products(table: Table) -> None:
    del table["products"]


def fractional_validity(table: Table) -> None:
    table["assessment_valid_years"] = D("2.5")


def fractional_min_score(table: Table) -> None:
    categories(table)[3]["min_score"] = D("19.5")


def never_overridden_as_a_bare_string(table: Table) -> None:
    table["rule_sets"]["c_r"]["never_overridden"] = "C1"


def categories_named_against_the_scores(table: Table) -> None:
    for row, name in zip(categories(table), ["C1", "C2", "C3", "C4", "C5"], strict=True):
        row["category"] = name


def category_twice(table: Table) -> None:
    categories(table)[1]["category"] = "C5"


def two_categories_on_one_score(table: Table) -> None:
    categories(table)[1]["min_score"] = 50


@pytest.mark.parametrize(
    "breakage",
    [
        unknown_active_set,
        unknown_tier,
        unknown_risk_class,
        level_missing,
        unknown_level,
        level_with_unknown_tier,
        categories_ascending,
        categories_not_down_to_zero,
        category_outside_c1_to_c5,
        validity_under_a_year,
        unknown_kind,
        no_products,
        fractional_validity,
        fractional_min_score,
        never_overridden_as_a_bare_string,
        categories_named_against_the_scores,
        category_twice,
        two_categories_on_one_score,
    ],
    ids=lambda breakage: breakage.__name__,
)
def test_a_broken_suitability_table_is_refused(
    breakage: Callable[[Table], None], assert_refused: Callable[..., None]
) -> None:
    assert_refused("suitability", SuitabilityRules.from_table, breakage)


def no_validity(table: Table) -> None:
    del table["assessment_valid_years"]


@pytest.mark.parametrize(
    "breakage", [validity_under_a_year, fractional_validity, no_validity], ids=lambda breakage: breakage.__name__
)
def test_the_validity_read_on_its_own_refuses_what_the_whole_table_refuses(
    breakage: Callable[[Table], None], assert_refused: Callable[..., None]
) -> None:
    """Reading a client loads only the validity (rules.assessment_valid_years): the same checks hold there."""
    assert_refused("suitability", valid_years, breakage)
    assert_refused("suitability", SuitabilityRules.from_table, breakage)


def test_a_client_read_and_a_suitability_verdict_use_the_same_validity() -> None:
    assert rules.assessment_valid_years() == RULES.assessment_valid_years == 2
