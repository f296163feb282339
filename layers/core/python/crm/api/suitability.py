"""Request and response bodies of the suitability routes (第8条 5, 第48–49条)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from crm.api.models import Model, Money, Number, Strict
from crm.api.query import NextCursor
from crm.domain.suitability import Disclosure, EnabledBusiness, Product, Sale, Verdict

Reference = Annotated[str, Field(min_length=1, max_length=200)]


class ProductOut(Model):
    product_id: str
    name: str
    tier: str = Field(description="The seed's fund risk tier: low, medium, high")
    risk_class: str = Field(description="R1–R5")

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(product_id=product.product_id, name=product.name, tier=product.tier, risk_class=product.risk_class)


class ProductCatalogue(Model):
    items: list[ProductOut]
    next_cursor: NextCursor


class VerdictOut(Model):
    client_id: str
    product_id: str
    allowed: bool
    reason: str
    rule_set: str
    client_level: str | None = Field(description="very_low/low/medium/high, or C1–C5; null without a valid assessment")
    product_level: str
    acknowledgement_accepted: bool = Field(
        description="Outside the match, a sale may be recorded with the client's signed acknowledgement (郑重提醒)"
    )
    assessment_expires_at: datetime | None

    @classmethod
    def of(cls, client_id: str, product_id: str, verdict: Verdict) -> VerdictOut:
        return cls(
            client_id=client_id,
            product_id=product_id,
            allowed=verdict.allowed,
            reason=verdict.reason,
            rule_set=verdict.rule_set,
            client_level=verdict.client_level,
            product_level=verdict.product_level,
            acknowledgement_accepted=verdict.acknowledgement_accepted,
            assessment_expires_at=verdict.assessment_expires_at,
        )


class NewSale(Strict):
    product_id: str = Field(min_length=1, max_length=64)
    amount: Money = Field(gt=0, description="CNY")
    acknowledgement_ref: Reference | None = Field(
        default=None, description="The client's signed acknowledgement (郑重提醒), for a sale outside the match"
    )


class SaleOut(Model):
    sale_id: str
    product_id: str
    amount: Number
    within_match: bool
    acknowledgement_ref: str | None
    verdict: str
    rule_set: str
    by: str
    at: datetime

    @classmethod
    def of(cls, sale: Sale) -> SaleOut:
        return cls(**{name: getattr(sale, name) for name in cls.model_fields})


class SaleHistory(Model):
    items: list[SaleOut] = Field(description="Newest first")
    next_cursor: NextCursor


class NewDisclosure(Strict):
    business: str = Field(min_length=1, max_length=64, description="warrants, margin, chinext, index_futures")
    document_ref: Reference = Field(description="Reference of the signed risk disclosure document")
    signed_on: date


class DisclosureOut(Model):
    business: str
    document_ref: str
    signed_on: date
    recorded_by: str
    at: datetime

    @classmethod
    def of(cls, disclosure: Disclosure) -> DisclosureOut:
        return cls(**{name: getattr(disclosure, name) for name in cls.model_fields})


class DisclosureHistory(Model):
    items: list[DisclosureOut] = Field(description="By business, newest first within each")
    next_cursor: NextCursor


class NewBusiness(Strict):
    business: str = Field(min_length=1, max_length=64, description="warrants, margin, chinext, index_futures")


class BusinessOut(Model):
    business: str
    disclosure_ref: str = Field(description="The signed risk disclosure it was enabled on")
    enabled_by: str
    at: datetime

    @classmethod
    def of(cls, enabled: EnabledBusiness) -> BusinessOut:
        return cls(**{name: getattr(enabled, name) for name in cls.model_fields})


class BusinessList(Model):
    items: list[BusinessOut] = Field(description="By business")
    next_cursor: NextCursor
