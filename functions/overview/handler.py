"""A client's overview (第29条3; DOMAIN §12): status, class, risk level, VIP, latest figures,
businesses opened, everything open about it and the person's other accounts, in one answer.

Thin: parse (pydantic), authorise (grant from the access middleware), call the service, shape
the response.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_time
from crm.api.overview import ClientOverview
from crm.observability import observed
from crm.services import overview as service

app = create_app()


@app.get(
    "/clients/<client_id>/overview",
    summary="The whole picture of a client (第29条3): status, class, assets, businesses, what is open",
    description="Five DynamoDB requests whatever the client's history (the record with its latest year, the "
    "businesses, its service records and callbacks by client, the person's accounts).",
    tags=["clients"],
    operation_id="getClientOverview",
    responses=documented(200, ClientOverview, "The client's overview", 404),
)
def overview(client_id: ClientId) -> ClientOverview:
    caller = grant(app)
    return ClientOverview.of(service.overview(caller, client_id), caller.identity.role, request_time(app))


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
