"""Suitability routes (第8条 5, 第48–49条): the product catalogue, whether a product suits a
client and why, sales with the 郑重提醒 acknowledgement, and the risk-disclosure gate."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_id, request_time, to_json
from crm.api.idempotency import IdempotencyKey, once
from crm.api.query import Cursor, Limit
from crm.api.suitability import (
    BusinessList,
    BusinessOut,
    DisclosureHistory,
    DisclosureOut,
    NewBusiness,
    NewDisclosure,
    NewSale,
    ProductCatalogue,
    ProductOut,
    SaleHistory,
    SaleOut,
    VerdictOut,
)
from crm.observability import observed
from crm.services import suitability as service

app = create_app()


def _created(body: Any) -> Response[Any]:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


@app.get(
    "/products",
    summary="The product catalogue with each product's risk tier and R class",
    tags=["suitability"],
    operation_id="listProducts",
    responses=documented(200, ProductCatalogue, "One page of the catalogue"),
)
def products(limit: Limit = 50, cursor: Cursor = None) -> ProductCatalogue:
    found, next_cursor = service.product_catalogue(limit=limit, cursor=cursor)
    return ProductCatalogue(items=[ProductOut.of(p) for p in found], next_cursor=next_cursor)


@app.get(
    "/clients/<client_id>/suitability",
    summary="Whether a product suits the client, and why",
    description="A client with no valid (unexpired) questionnaire matches nothing.",
    tags=["suitability"],
    operation_id="getClientSuitability",
    responses=documented(200, VerdictOut, "The verdict", 404),
)
def suitability(
    client_id: ClientId,
    product_id: Annotated[str, Query(min_length=1, max_length=64)],
    rule_set: Annotated[str | None, Query(max_length=32, description="seed or c_r; default: the active one")] = None,
) -> VerdictOut:
    verdict = service.check(grant(app), client_id, product_id, now=request_time(app), rule_set=rule_set)
    return VerdictOut.of(client_id, product_id, verdict)


@app.post(
    "/clients/<client_id>/sales",
    summary="Record a sale or recommendation",
    description=(
        "Outside the match it is refused (409, with the reason) unless the client's signed acknowledgement "
        "(郑重提醒) is referenced and the rule set lets the client insist."
    ),
    tags=["suitability"],
    operation_id="recordClientSale",
    responses=documented(201, SaleOut, "The sale as recorded", 400, 404, 409),
)
def record_sale(client_id: ClientId, body: NewSale, idempotency_key: IdempotencyKey = None) -> Response[SaleOut]:
    def recorded() -> Response[SaleOut]:
        sale = service.record_sale(
            grant(app),
            client_id,
            body.product_id,
            body.amount,
            acknowledgement_ref=body.acknowledgement_ref,
            now=request_time(app),
            sale_id=request_id(app),
        )
        return _created(SaleOut.of(sale))

    return once(app, idempotency_key, body, recorded, to_json)


@app.get(
    "/clients/<client_id>/sales",
    summary="The client's sales, newest first",
    tags=["suitability"],
    operation_id="listClientSales",
    responses=documented(200, SaleHistory, "One page of the sales", 404),
)
def sales(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> SaleHistory:
    found, next_cursor = service.sales(grant(app), client_id, limit=limit, cursor=cursor)
    return SaleHistory(items=[SaleOut.of(s) for s in found], next_cursor=next_cursor)


@app.post(
    "/clients/<client_id>/risk-disclosures",
    summary="Record a signed risk disclosure for a high-risk business (第49条)",
    tags=["suitability"],
    operation_id="recordClientRiskDisclosure",
    responses=documented(201, DisclosureOut, "The disclosure as recorded", 400, 404),
)
def record_disclosure(
    client_id: ClientId, body: NewDisclosure, idempotency_key: IdempotencyKey = None
) -> Response[DisclosureOut]:
    def recorded() -> Response[DisclosureOut]:
        disclosure = service.record_disclosure(
            grant(app), client_id, body.business, body.document_ref, body.signed_on, now=request_time(app)
        )
        return _created(DisclosureOut.of(disclosure))

    return once(app, idempotency_key, body, recorded, to_json)


@app.get(
    "/clients/<client_id>/risk-disclosures",
    summary="The client's signed risk disclosures, by business, newest first within each",
    tags=["suitability"],
    operation_id="listClientRiskDisclosures",
    responses=documented(200, DisclosureHistory, "One page of the disclosures", 404),
)
def disclosures(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> DisclosureHistory:
    found, next_cursor = service.disclosures(grant(app), client_id, limit=limit, cursor=cursor)
    return DisclosureHistory(items=[DisclosureOut.of(d) for d in found], next_cursor=next_cursor)


@app.post(
    "/clients/<client_id>/businesses",
    summary="Enable a high-risk business (refused without a signed risk disclosure on record)",
    tags=["suitability"],
    operation_id="enableClientBusiness",
    responses=documented(201, BusinessOut, "The business, enabled", 400, 404, 409),
)
def enable_business(
    client_id: ClientId, body: NewBusiness, idempotency_key: IdempotencyKey = None
) -> Response[BusinessOut]:
    def enabled() -> Response[BusinessOut]:
        return _created(
            BusinessOut.of(service.enable_business(grant(app), client_id, body.business, now=request_time(app)))
        )

    return once(app, idempotency_key, body, enabled, to_json)


@app.get(
    "/clients/<client_id>/businesses",
    summary="The high-risk businesses enabled for the client",
    tags=["suitability"],
    operation_id="listClientBusinesses",
    responses=documented(200, BusinessList, "One page of the businesses", 404),
)
def businesses(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> BusinessList:
    found, next_cursor = service.businesses(grant(app), client_id, limit=limit, cursor=cursor)
    return BusinessList(items=[BusinessOut.of(b) for b in found], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
