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
    responses=documented(200, ProductCatalogue, "The catalogue"),
)
def products() -> ProductCatalogue:
    return ProductCatalogue(items=[ProductOut.of(p) for p in service.product_catalogue()])


@app.get(
    "/clients/<client_id>/suitability",
    summary="Whether a product suits the client, and why",
    description="A client with no valid (unexpired) questionnaire matches nothing.",
    tags=["suitability"],
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
    responses=documented(200, SaleHistory, "The sales", 404),
)
def sales(client_id: ClientId) -> SaleHistory:
    return SaleHistory(items=[SaleOut.of(s) for s in service.sales(grant(app), client_id)])


@app.post(
    "/clients/<client_id>/risk-disclosures",
    summary="Record a signed risk disclosure for a high-risk business (第49条)",
    tags=["suitability"],
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
    summary="The client's signed risk disclosures, newest first",
    tags=["suitability"],
    responses=documented(200, DisclosureHistory, "The disclosures", 404),
)
def disclosures(client_id: ClientId) -> DisclosureHistory:
    return DisclosureHistory(items=[DisclosureOut.of(d) for d in service.disclosures(grant(app), client_id)])


@app.post(
    "/clients/<client_id>/businesses",
    summary="Enable a high-risk business (refused without a signed risk disclosure on record)",
    tags=["suitability"],
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
    responses=documented(200, BusinessList, "The businesses", 404),
)
def businesses(client_id: ClientId) -> BusinessList:
    return BusinessList(items=[BusinessOut.of(b) for b in service.businesses(grant(app), client_id)])


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
