"""Suitability checks, sales within (or, acknowledged, outside) the match, and the risk-disclosure
gate on high-risk businesses (第8条 5, 第48–49条; DOMAIN §2.2)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from crm import rules
from crm.data.clients import suitability as suitability_data
from crm.data.pages import offset_of, page_of
from crm.domain.access import Grant
from crm.domain.client import Client
from crm.domain.suitability import Disclosure, EnabledBusiness, Product, Sale, Verdict, judge, signed_on_is_valid
from crm.domain.time import beijing
from crm.errors import Conflict
from crm.services.client_lookup import find as find_client


def verdict_for(client: Client, product: Product, *, now: datetime, rule_set: str | None = None) -> Verdict:
    return judge(
        product,
        risk_level=client.risk_level,
        score=client.risk_score,
        assessed_at=client.risk_assessed_at,
        now=now,
        rules=rules.suitability(),
        rule_set_name=rule_set,
    )


def check(grant: Grant, client_id: str, product_id: str, *, now: datetime, rule_set: str | None) -> Verdict:
    product = rules.suitability().product(product_id)
    return verdict_for(find_client(grant, client_id), product, now=now, rule_set=rule_set)


def record_sale(
    grant: Grant,
    client_id: str,
    product_id: str,
    amount: Decimal,
    *,
    acknowledgement_ref: str | None,
    now: datetime,
    sale_id: str,
) -> Sale:
    """A sale within the match is recorded; outside it, only with the client's signed
    acknowledgement (郑重提醒) and where the rule set lets the client insist; else 409 with why."""
    client = find_client(grant, client_id)
    verdict = verdict_for(client, rules.suitability().product(product_id), now=now)
    if not verdict.allowed:
        if not verdict.acknowledgement_accepted:
            raise Conflict(verdict.reason, field="product_id")
        if not acknowledgement_ref:
            raise Conflict(
                f"{verdict.reason}: record it only with the client's signed acknowledgement (acknowledgement_ref)",
                field="acknowledgement_ref",
            )
    sale = Sale(
        client_id=client_id,
        sale_id=sale_id,
        product_id=product_id,
        amount=amount,
        within_match=verdict.allowed,
        acknowledgement_ref=None if verdict.allowed else acknowledgement_ref,
        verdict=verdict.reason,
        rule_set=verdict.rule_set,
        by=grant.identity.user_id,
        at=now,
    )
    suitability_data.record_sale(sale)
    return sale


def sales(grant: Grant, client_id: str, *, limit: int, cursor: str | None) -> tuple[list[Sale], str | None]:
    find_client(grant, client_id)
    return suitability_data.sale_page(client_id, limit=limit, cursor=cursor)


def record_disclosure(
    grant: Grant, client_id: str, business: str, document_ref: str, signed_on: date, *, now: datetime
) -> Disclosure:
    rules.suitability().business(business)
    signed_on_is_valid(signed_on, beijing(now).date())
    find_client(grant, client_id)
    disclosure = Disclosure(
        client_id=client_id,
        business=business,
        document_ref=document_ref,
        signed_on=signed_on,
        recorded_by=grant.identity.user_id,
        at=now,
    )
    suitability_data.record_disclosure(disclosure)
    return disclosure


def disclosures(grant: Grant, client_id: str, *, limit: int, cursor: str | None) -> tuple[list[Disclosure], str | None]:
    find_client(grant, client_id)
    return suitability_data.disclosure_page(client_id, limit=limit, cursor=cursor)


def enable_business(grant: Grant, client_id: str, business: str, *, now: datetime) -> EnabledBusiness:
    """Refused (409, with the reason) without a signed risk disclosure on record (第49条)."""
    name = rules.suitability().business(business).name
    find_client(grant, client_id)
    signed = suitability_data.disclosures(client_id, business)
    if not signed:
        raise Conflict(
            f"no signed risk disclosure for {name} ({business}) is on record: record it first (第49条)",
            field="business",
        )
    enabled = EnabledBusiness(
        client_id=client_id,
        business=business,
        disclosure_ref=signed[0].document_ref,
        enabled_by=grant.identity.user_id,
        at=now,
    )
    suitability_data.enable_business(enabled)
    return enabled


def businesses(
    grant: Grant, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[EnabledBusiness], str | None]:
    find_client(grant, client_id)
    return suitability_data.business_page(client_id, limit=limit, cursor=cursor)


def product_catalogue(*, limit: int, cursor: str | None) -> tuple[list[Product], str | None]:
    """One page of the catalogue, in the rule table's order; a cursor fits the table's version only."""
    table = rules.suitability()
    listing = f"products:{table.version}"
    return page_of(list(table.products.values()), listing=listing, limit=limit, offset=offset_of(cursor, listing))
