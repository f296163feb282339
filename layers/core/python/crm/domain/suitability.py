"""Product suitability: matching products to a client's risk tolerance (第8条 5; DOMAIN §2.2),
and the risk-disclosure gate on high-risk businesses (第48–49条).

Two rule sets, both data (`rules/suitability.toml`): the seed's four levels (极低/低/中/高)
against three fund tiers, and the current C1–C5 investors × R1–R5 products. A client with no
valid questionnaire matches nothing. A sale outside the match may be recorded only with the
client's signed acknowledgement (郑重提醒), except where the rule set forbids any override.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm.domain.assessment import assessment_expiry, valid_years
from crm.domain.risk_level import RiskLevel
from crm.domain.rule_values import whole_number
from crm.errors import InvalidInput, RuleTableError

TIERS = ("low", "medium", "high")
RISK_CLASSES = ("R1", "R2", "R3", "R4", "R5")
CATEGORIES = ("C1", "C2", "C3", "C4", "C5")


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    tier: str  # the seed's fund risk tier: low, medium, high
    risk_class: str  # R1–R5


@dataclass(frozen=True)
class Business:
    business: str
    name: str


@dataclass(frozen=True)
class RuleSet:
    name: str
    kind: str  # "levels" (the seed) or "categories" (C1–C5 × R1–R5)
    label: str
    allowed_tiers: Mapping[RiskLevel, frozenset[str]]
    categories: tuple[tuple[int, str], ...]  # (minimum score, category), highest first
    never_overridden: frozenset[str]

    def client_level(self, risk_level: RiskLevel, score: int) -> str:
        if self.kind == "levels":
            return risk_level.value
        return next(category for minimum, category in self.categories if score >= minimum)

    @staticmethod
    def product_level(product: Product, kind: str) -> str:
        return product.tier if kind == "levels" else product.risk_class

    def allows(self, client_level: str, product: Product) -> bool:
        if self.kind == "levels":
            return product.tier in self.allowed_tiers[RiskLevel(client_level)]
        return RISK_CLASSES.index(product.risk_class) <= int(client_level.removeprefix("C")) - 1


@dataclass(frozen=True)
class SuitabilityRules:
    version: str
    active: str
    assessment_valid_years: int
    rule_sets: Mapping[str, RuleSet]
    products: Mapping[str, Product]
    businesses: Mapping[str, Business]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> SuitabilityRules:
        try:
            rule_sets = {name: _rule_set(name, spec) for name, spec in table["rule_sets"].items()}
            products = {
                pid: Product(product_id=pid, name=str(p["name"]), tier=str(p["tier"]), risk_class=str(p["risk_class"]))
                for pid, p in table["products"].items()
            }
            businesses = {b: Business(business=b, name=str(spec["name"])) for b, spec in table["businesses"].items()}
            rules = cls(
                version=str(table["version"]),
                active=str(table["active"]),
                assessment_valid_years=valid_years(table),
                rule_sets=rule_sets,
                products=products,
                businesses=businesses,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise RuleTableError(f"suitability table: {exc!r}") from exc
        if rules.active not in rules.rule_sets:
            raise RuleTableError(f"suitability table: the active rule set {rules.active!r} is not defined")
        bad = [p.product_id for p in products.values() if p.tier not in TIERS or p.risk_class not in RISK_CLASSES]
        if bad:
            raise RuleTableError(f"suitability table: products with an unknown tier or class: {bad}")
        return rules

    def rule_set(self, name: str | None) -> RuleSet:
        chosen = name or self.active
        if chosen not in self.rule_sets:
            raise InvalidInput(f"no rule set {chosen!r} (rule sets: {', '.join(self.rule_sets)})", field="rule_set")
        return self.rule_sets[chosen]

    def product(self, product_id: str) -> Product:
        if product_id not in self.products:
            raise InvalidInput(f"no product {product_id!r} in the catalogue", field="product_id")
        return self.products[product_id]

    def business(self, business: str) -> Business:
        if business not in self.businesses:
            known = ", ".join(self.businesses)
            raise InvalidInput(f"no high-risk business {business!r} (businesses: {known})", field="business")
        return self.businesses[business]


def _rule_set(name: str, spec: Mapping[str, Any]) -> RuleSet:
    kind = str(spec["kind"])
    if kind == "levels":
        allowed = {RiskLevel(level): frozenset(str(t) for t in tiers) for level, tiers in spec["allowed"].items()}
        if set(allowed) != set(RiskLevel) or any(not t <= set(TIERS) for t in allowed.values()):
            raise ValueError(f"rule set {name}: every risk level needs its tiers")
        return RuleSet(name, kind, str(spec["label"]), allowed, (), frozenset())
    if kind == "categories":
        categories = tuple((whole_number(row["min_score"]), str(row["category"])) for row in spec["categories"])
        minima = [m for m, _ in categories]
        if not minima or minima != sorted(set(minima), reverse=True) or minima[-1] > 0:
            raise ValueError(f"rule set {name}: categories need strictly descending minimum scores down to 0")
        if [c for _, c in categories] != list(CATEGORIES[::-1][: len(categories)]) or len(categories) != 5:
            raise ValueError(f"rule set {name}: categories are C5, C4, C3, C2, C1 from the highest score down")
        protected = spec.get("never_overridden", [])
        if not isinstance(protected, list) or not set(protected) <= set(CATEGORIES):
            raise ValueError(f"rule set {name}: never_overridden lists categories among C1–C5")
        return RuleSet(name, kind, str(spec["label"]), {}, categories, frozenset(protected))
    raise ValueError(f"rule set {name}: unknown kind {kind!r}")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str
    rule_set: str
    client_level: str | None
    product_level: str
    acknowledgement_accepted: bool  # a sale outside the match may be recorded with the client's 郑重提醒
    assessment_expires_at: datetime | None


def judge(
    product: Product,
    *,
    risk_level: RiskLevel | None,
    score: int | None,
    assessed_at: datetime | None,
    now: datetime,
    rules: SuitabilityRules,
    rule_set_name: str | None = None,
) -> Verdict:
    """Whether `product` suits the client under the rule set, and why (第8条 5)."""
    rule_set = rules.rule_set(rule_set_name)
    product_level = RuleSet.product_level(product, rule_set.kind)
    if risk_level is None or score is None or assessed_at is None:
        return Verdict(
            False, "no risk questionnaire on record: nothing matches", rule_set.name, None, product_level, False, None
        )
    expires = assessment_expiry(assessed_at, rules.assessment_valid_years)
    if now >= expires:
        return Verdict(
            False,
            f"the risk assessment expired on {expires.date().isoformat()}: nothing matches",
            rule_set.name,
            None,
            product_level,
            False,
            expires,
        )
    level = rule_set.client_level(risk_level, score)
    if rule_set.allows(level, product):
        return Verdict(
            True,
            f"{product.name} ({product_level}) suits a {level} client",
            rule_set.name,
            level,
            product_level,
            False,
            expires,
        )
    overridable = level not in rule_set.never_overridden
    reason = f"{product.name} ({product_level}) exceeds what a {level} client may take"
    if not overridable:
        reason += f"; a {level} client may never be sold more, acknowledgement or not"
    return Verdict(False, reason, rule_set.name, level, product_level, overridable, expires)


def signed_on_is_valid(signed_on: date, today: date) -> None:
    if signed_on > today:
        raise InvalidInput("signed_on lies in the future", field="signed_on")


@dataclass(frozen=True)
class Sale:
    """A product sold or recommended to a client, and whether it lay within the match."""

    client_id: str
    sale_id: str
    product_id: str
    amount: Decimal
    within_match: bool
    acknowledgement_ref: str | None  # the client's signed 郑重提醒, for a sale outside the match
    verdict: str
    rule_set: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Disclosure:
    """A signed risk disclosure for a high-risk business (第48–49条)."""

    client_id: str
    business: str
    document_ref: str
    signed_on: date
    recorded_by: str
    at: datetime


@dataclass(frozen=True)
class EnabledBusiness:
    client_id: str
    business: str
    disclosure_ref: str
    enabled_by: str
    at: datetime
