"""Client lookup (第29条4; DOMAIN §12): find a client by fund account, securities account, ID number,
phone or name, any one of them, within the caller's scope; lookups by ID number or phone are
audited.

Thin: parse (pydantic), authorise (grant from the access middleware), call the service, shape
the response.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_id, request_time
from crm.api.clients import ClientOut, ClientPage
from crm.api.lookup import LookupIn
from crm.domain.person import lookup_key
from crm.observability import observed
from crm.services import lookup as service

app = create_app()


@app.post(
    "/clients/lookup",
    summary="Find clients by fund account, securities account, ID number, phone or name (第29条4)",
    description="Exactly one key. Answers the clients in the caller's scope, newest account first, masked as "
    "elsewhere; a name matches exactly or as a prefix. A lookup by ID number or phone leaves an audit entry.",
    tags=["clients"],
    operation_id="lookupClients",
    responses=documented(200, ClientPage, "The clients found in the caller's scope"),
)
def lookup(
    body: LookupIn,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ClientPage:
    caller = grant(app)
    key, value = lookup_key(body.model_dump())
    now = request_time(app)
    found, next_cursor = service.lookup(
        caller, key, value, limit=limit, cursor=cursor, now=now, request_id=request_id(app)
    )
    return ClientPage(items=[ClientOut.of(c, caller.identity.role, now) for c in found], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
