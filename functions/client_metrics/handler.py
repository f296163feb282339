"""A client's yearly metrics (第4–6条) and the class and VIP history they lead to.

Thin: parse (pydantic), authorise (grant from the access middleware), call the service, shape
the response. Reclassification is not done here: it follows the metrics write via the stream.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_time
from crm.api.client_metrics import (
    ClassChangeOut,
    ClassHistory,
    MetricsList,
    MetricsOut,
    VipChangeOut,
    VipHistory,
    YearFigures,
)
from crm.api.query import Cursor, Limit
from crm.domain.classification import YearMetrics
from crm.observability import observed
from crm.services import client_metrics as service

app = create_app()

Year = Annotated[int, Path(ge=2000, le=2100, description="Calendar year of the figures")]


@app.put(
    "/clients/<client_id>/metrics/<year>",
    summary="Put a year's assets, average assets and trading volume",
    description="Reclassification (class, VIP) follows asynchronously through the table's stream.",
    tags=["clients"],
    operation_id="putClientMetrics",
    responses=documented(200, MetricsOut, "The figures as stored", 404),
)
def put_metrics(client_id: ClientId, year: Year, body: YearFigures) -> MetricsOut:
    figures = YearMetrics(year=year, assets=body.assets, avg_assets=body.avg_assets, trade_volume=body.trade_volume)
    record = service.put_metrics(
        grant(app), client_id, figures, now=request_time(app), avg_holding_days=body.avg_holding_days
    )
    return MetricsOut.of(record)


@app.get(
    "/clients/<client_id>/metrics",
    summary="Every year of figures on record, newest first",
    tags=["clients"],
    operation_id="listClientMetrics",
    responses=documented(200, MetricsList, "One page of the figures", 404),
)
def list_metrics(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> MetricsList:
    records, next_cursor = service.metrics(grant(app), client_id, limit=limit, cursor=cursor)
    return MetricsList(items=[MetricsOut.of(r) for r in records], next_cursor=next_cursor)


@app.get(
    "/clients/<client_id>/class-history",
    summary="Every class change with its cause, newest first",
    tags=["clients"],
    operation_id="listClientClassHistory",
    responses=documented(200, ClassHistory, "One page of the class history", 404),
)
def class_history(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> ClassHistory:
    changes, next_cursor = service.class_history(grant(app), client_id, limit=limit, cursor=cursor)
    return ClassHistory(items=[ClassChangeOut.of(c) for c in changes], next_cursor=next_cursor)


@app.get(
    "/clients/<client_id>/vip-history",
    summary="Every VIP status change with its cause, newest first",
    tags=["clients"],
    operation_id="listClientVipHistory",
    responses=documented(200, VipHistory, "One page of the VIP history", 404),
)
def vip_history(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> VipHistory:
    changes, next_cursor = service.vip_history(grant(app), client_id, limit=limit, cursor=cursor)
    return VipHistory(items=[VipChangeOut.of(c) for c in changes], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
