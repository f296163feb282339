"""Audit routes (留痕): compliance reads everything that happened to a client's records."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant
from crm.api.audit import AuditEntryOut, AuditTrail
from crm.observability import observed
from crm.services import audit as service

app = create_app()


@app.get(
    "/audit/clients/<client_id>",
    summary="The audit trail of a client: who changed what, when, before and after, why, on what evidence",
    tags=["audit"],
    operation_id="getClientAuditTrail",
    responses=documented(200, AuditTrail, "The entries, newest first"),
)
def client_trail(
    client_id: Annotated[str, Path(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditTrail:
    caller = grant(app)
    entries, next_cursor = service.client_trail(caller, client_id, limit=limit, cursor=cursor)
    return AuditTrail(items=[AuditEntryOut.of(e, caller.identity.role) for e in entries], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
