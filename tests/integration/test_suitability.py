"""Suitability through the API (DOMAIN §2.2; 第8条 5, 第48–49条): the tiers each risk level may
take under both rule sets, nothing for a missing or expired assessment, sales outside the match
only with an acknowledgement (never for C1), and the risk-disclosure gate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.harness import Harness, new_client
from tests.integration.pages import every_page, whole

LOWEST: dict[str, Any] = {str(n): "A" for n in range(1, 13)} | {"9": ["A"]}
# Answer sets with known totals (DOMAIN §2.1 score table).
SCORED = {
    14: LOWEST,  # very_low, C1
    19: LOWEST | {"1": "E", "2": "B"},  # low, C2
    30: LOWEST | {"1": "E", "2": "D", "3": "E", "4": "D"},  # low, C3
    36: LOWEST | {"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "C"},  # medium, C3
    46: LOWEST | {"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "D", "7": "C", "8": "C", "9": ["B"]},
    60: LOWEST
    | {"1": "E", "2": "D", "3": "E", "4": "D", "5": "C", "6": "D", "7": "C", "8": "C", "9": ["E"]}
    | {"10": "D", "11": "C", "12": "E"},
}
ASSESSED = "2026-06-01T10:00:00+08:00"
CHECKED = "2026-07-01T10:00:00+08:00"
LATER = "2026-07-01T11:00:00+08:00"
PRODUCTS = (
    "money_market",
    "short_term_bond",
    "standard_bond",
    "bond_biased",
    "balanced",
    "standard_equity",
    "structured_note",
)


def assessed(harness: Harness, score: int, client_id: str = "C001") -> None:
    response = harness.call("POST", f"/clients/{client_id}/questionnaires", {"answers": SCORED[score]}, at=ASSESSED)
    assert response.json()["score"] == score, response.body


def allowed(harness: Harness, rule_set: str, at: str = CHECKED) -> dict[str, bool]:
    return {
        product: harness.call(
            "GET", "/clients/C001/suitability", query=f"product_id={product}&rule_set={rule_set}", at=at
        ).json()["allowed"]
        for product in PRODUCTS
    }


# Seed: 极低/低 → low tier; 中 → low + medium; 高 → all (DOMAIN §2.2 DEFAULT).
# Tiers: money_market, short_term_bond low; standard_bond, bond_biased medium; balanced, standard_equity,
# structured_note high.
SEED = {
    14: {"money_market", "short_term_bond"},
    19: {"money_market", "short_term_bond"},
    36: {"money_market", "short_term_bond", "standard_bond", "bond_biased"},
    46: set(PRODUCTS),
}
# C/R: Cn takes R1..Rn. money_market R1; short_term_bond, standard_bond R2; bond_biased, balanced R3;
# standard_equity R4; structured_note R5.
CATEGORIES = {
    14: {"money_market"},
    19: {"money_market", "short_term_bond", "standard_bond"},
    30: {"money_market", "short_term_bond", "standard_bond", "bond_biased", "balanced"},
    46: set(PRODUCTS) - {"structured_note"},
    60: set(PRODUCTS),
}


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(("score", "expected"), SEED.items(), ids=[f"seed-{s}" for s in SEED])
def test_the_seed_rule_set_matches_tiers_to_levels(harness: Harness, score: int, expected: set[str]) -> None:
    assessed(harness, score)
    assert {p for p, ok in allowed(harness, "seed").items() if ok} == expected


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(("score", "expected"), CATEGORIES.items(), ids=[f"c_r-{s}" for s in CATEGORIES])
def test_the_c_r_rule_set_lets_cn_take_r1_to_rn(harness: Harness, score: int, expected: set[str]) -> None:
    assessed(harness, score)
    assert {p for p, ok in allowed(harness, "c_r").items() if ok} == expected


@pytest.mark.usefixtures("client")
def test_a_missing_or_expired_assessment_matches_nothing(harness: Harness) -> None:
    assert not any(allowed(harness, "seed").values())
    missing = harness.call("GET", "/clients/C001/suitability", query="product_id=money_market", at=CHECKED).json()
    assert "no risk questionnaire" in missing["reason"]
    assessed(harness, 60)
    assert all(allowed(harness, "seed", at="2028-05-31T23:00:00+08:00").values())
    assert not any(allowed(harness, "seed", at="2028-06-01T10:00:00+08:00").values())
    client = harness.call("GET", "/clients/C001", at="2028-06-01T10:00:00+08:00").json()
    assert (client["risk_assessment_expires_at"], client["risk_assessment_expired"]) == (
        "2028-06-01T00:00:00+08:00",
        True,
    )
    assert harness.call("GET", "/clients/C001", at=CHECKED).json()["risk_assessment_expired"] is False


@pytest.mark.usefixtures("client")
def test_a_sale_outside_the_match_needs_the_clients_acknowledgement(harness: Harness) -> None:
    assessed(harness, 36)  # medium
    within = harness.call("POST", "/clients/C001/sales", {"product_id": "standard_bond", "amount": 50000}, at=CHECKED)
    assert within.status == 201
    assert (within.json()["within_match"], within.json()["acknowledgement_ref"]) == (True, None)

    refused = harness.call(
        "POST", "/clients/C001/sales", {"product_id": "standard_equity", "amount": 50000}, at=CHECKED
    )
    assert refused.status == 409
    assert refused.json()["error"]["field"] == "acknowledgement_ref"
    assert "exceeds" in refused.json()["error"]["message"]

    empty = {"product_id": "standard_equity", "amount": 50000, "acknowledgement_ref": ""}
    assert harness.call("POST", "/clients/C001/sales", empty, at=CHECKED).status == 422

    insisted = {"product_id": "standard_equity", "amount": 50000, "acknowledgement_ref": "郑重提醒-2026-0007"}
    recorded = harness.call("POST", "/clients/C001/sales", insisted, at=LATER)
    assert recorded.status == 201
    assert (recorded.json()["within_match"], recorded.json()["acknowledgement_ref"]) == (False, "郑重提醒-2026-0007")
    assert [s["product_id"] for s in harness.call("GET", "/clients/C001/sales").json()["items"]] == [
        "standard_equity",
        "standard_bond",
    ]


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"product_id": "lottery", "amount": 1}, 422, "product_id"),
        ({"product_id": "money_market", "amount": 0}, 422, "amount"),
        ({"product_id": "money_market", "amount": "10"}, 422, "amount"),
        ({"product_id": "money_market"}, 422, "amount"),
    ],
    ids=["unknown-product", "zero", "text", "missing"],
)
def test_bad_sales_are_refused_and_nothing_is_stored(harness: Harness, body: dict, status: int, field: str) -> None:
    assessed(harness, 60)
    response = harness.call("POST", "/clients/C001/sales", body, at=CHECKED)
    assert response.status == status, response.body
    assert response.json()["error"]["field"] == field
    assert harness.call("GET", "/clients/C001/sales").json()["items"] == []


@pytest.mark.usefixtures("client")
def test_without_an_assessment_no_sale_is_recorded_even_acknowledged(harness: Harness) -> None:
    body = {"product_id": "money_market", "amount": 1000, "acknowledgement_ref": "ACK-1"}
    assert harness.call("POST", "/clients/C001/sales", body, at=CHECKED).status == 409
    assert harness.call("GET", "/clients/C001/sales").json()["items"] == []


def test_under_the_c_r_rule_set_c1_is_never_overridden() -> None:
    from datetime import datetime

    from crm import rules
    from crm.domain.risk_level import RiskLevel
    from crm.domain.suitability import judge
    from crm.domain.time import BEIJING

    verdict = judge(
        rules.suitability().product("short_term_bond"),
        risk_level=RiskLevel.VERY_LOW,
        score=14,
        assessed_at=datetime(2026, 6, 1, tzinfo=BEIJING),
        now=datetime(2026, 7, 1, tzinfo=BEIJING),
        rules=rules.suitability(),
        rule_set_name="c_r",
    )
    assert (verdict.allowed, verdict.client_level, verdict.acknowledgement_accepted) == (False, "C1", False)


@pytest.mark.usefixtures("client")
def test_a_high_risk_business_needs_a_signed_disclosure_first(harness: Harness) -> None:
    refused = harness.call("POST", "/clients/C001/businesses", {"business": "margin"})
    assert refused.status == 409
    assert "融资融券" in refused.json()["error"]["message"]
    assert harness.call("GET", "/clients/C001/businesses").json()["items"] == []

    disclosure = {"business": "margin", "document_ref": "RD-MARGIN-0042", "signed_on": "2026-06-01"}
    assert harness.call("POST", "/clients/C001/risk-disclosures", disclosure, at=CHECKED).status == 201
    enabled = harness.call("POST", "/clients/C001/businesses", {"business": "margin"}, at=CHECKED)
    assert enabled.status == 201
    assert (enabled.json()["business"], enabled.json()["disclosure_ref"]) == ("margin", "RD-MARGIN-0042")
    assert harness.call("POST", "/clients/C001/businesses", {"business": "margin"}).status == 409
    # a disclosure for one business does not open another
    assert harness.call("POST", "/clients/C001/businesses", {"business": "chinext"}).status == 409


@pytest.mark.usefixtures("client")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"business": "lottery", "document_ref": "X", "signed_on": "2026-06-01"}, "business"),
        ({"business": "margin", "document_ref": "", "signed_on": "2026-06-01"}, "document_ref"),
        ({"business": "margin", "document_ref": "X", "signed_on": "2026-06-31"}, "signed_on"),
        ({"business": "margin", "document_ref": "X", "signed_on": "2026-07-02"}, "signed_on"),
    ],
    ids=["unknown-business", "no-reference", "impossible-date", "future"],
)
def test_bad_disclosures_are_refused_and_nothing_is_stored(harness: Harness, body: dict, field: str) -> None:
    response = harness.call("POST", "/clients/C001/risk-disclosures", body, at=CHECKED)
    assert response.status == 422, response.body
    assert response.json()["error"]["field"] == field
    assert harness.call("GET", "/clients/C001/risk-disclosures").json()["items"] == []


def test_the_catalogue_lists_the_fund_types_of_article_8(harness: Harness) -> None:
    items = harness.call("GET", "/products").json()["items"]
    tiers = {p["name"]: p["tier"] for p in items}
    assert tiers["货币型基金"] == "low"
    assert tiers["偏债型基金"] == "medium"
    assert tiers["灵活配置型基金"] == "high"


def test_the_catalogue_read_in_pages_is_the_whole_catalogue_once(harness: Harness) -> None:
    catalogue = whole(harness, "/products")
    assert len(catalogue) > 3
    pages = every_page(harness, "/products", limit=3)
    assert [len(page) for page in pages[:-1]] == [3] * (len(pages) - 1)
    assert [item for page in pages for item in page] == catalogue
    cursor = harness.call("GET", "/products", query="limit=1").json()["next_cursor"]
    payload, _, mac = cursor.partition(".")
    edited = harness.call("GET", "/products", query=f"cursor={payload[:-2]}AA.{mac}")
    assert (edited.status, edited.json()["error"]["field"]) == (400, "cursor")


@pytest.mark.usefixtures("client")
def test_sales_disclosures_and_businesses_read_in_pages_lose_and_repeat_nothing(harness: Harness) -> None:
    assessed(harness, 60)
    for n, product in enumerate(("money_market", "standard_bond", "balanced")):
        sale = {"product_id": product, "amount": 10_000 + n}
        assert harness.call("POST", "/clients/C001/sales", sale, at=f"2026-07-0{n + 1}T10:00:00+08:00").status == 201
    for business in ("warrants", "margin", "chinext"):
        disclosure = {"business": business, "document_ref": f"RD-{business}", "signed_on": "2026-06-01"}
        assert harness.call("POST", "/clients/C001/risk-disclosures", disclosure, at=CHECKED).status == 201
        assert harness.call("POST", "/clients/C001/businesses", {"business": business}, at=CHECKED).status == 201

    sales = whole(harness, "/clients/C001/sales")
    assert [s["product_id"] for s in sales] == ["balanced", "standard_bond", "money_market"]
    for path, listed in (
        ("/clients/C001/sales", sales),
        ("/clients/C001/risk-disclosures", whole(harness, "/clients/C001/risk-disclosures")),
        ("/clients/C001/businesses", whole(harness, "/clients/C001/businesses")),
    ):
        pages = every_page(harness, path, limit=2)
        assert [len(page) for page in pages] == [2, 1], path
        assert [item for page in pages for item in page] == listed, path


def test_suitability_scope(harness: Harness) -> None:
    assert harness.call("POST", "/clients", new_client("C001")).status == 201
    query = "product_id=money_market"
    assert harness.call("GET", "/clients/C001/suitability", query=query, as_=("manager", "mgr-2", "B1")).status == 403
    assert harness.call("GET", "/clients/C001/suitability", query=query, as_=("compliance", "c", None)).status == 200
    assert harness.call("GET", "/clients/C001/suitability", query=query + "&rule_set=nope").status == 422
    body = {"business": "margin"}
    assert harness.call("POST", "/clients/C001/businesses", body, as_=("manager", "mgr-1", "B1")).status == 403
