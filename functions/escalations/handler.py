"""SLA routes: the breach records of a branch (DOMAIN §3, §4: breaches are visible)."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant
from crm.api.query import Cursor, Limit, OfClient
from crm.api.sla import BreachOut, BreachPage
from crm.observability import observed
from crm.services import sla as service

app = create_app()


@app.get(
    "/sla/breaches",
    summary="Deadlines missed in a branch, latest deadline first",
    tags=["sla"],
    operation_id="listSlaBreaches",
    responses=documented(200, BreachPage, "One page of breach records"),
)
def list_breaches(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    client_id: OfClient = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> BreachPage:
    found, next_cursor = service.breaches(
        grant(app), branch_id=branch_id, client_id=client_id, limit=limit, cursor=cursor
    )
    return BreachPage(items=[BreachOut.of(b) for b in found], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
