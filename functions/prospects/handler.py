"""Prospect routes (第32条; DOMAIN §8): record a prospective client (its follow-up is an SLA clock,
due at the end of the next working day), list them, and settle them: converted or dropped."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_id, request_time, to_json
from crm.api.etag import IfMatch, expected_version, new_member, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.prospects import NewProspect, ProspectOut, ProspectOutcomeIn, ProspectPage
from crm.api.query import Cursor, Limit, status_query, statuses
from crm.domain.prospects import ProspectStatus
from crm.observability import observed
from crm.services import prospects as service

app = create_app()

ProspectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


@app.post(
    "/prospects",
    summary="Record a prospective client; its follow-up is due at the end of the next working day",
    tags=["prospects"],
    operation_id="recordProspect",
    responses=documented(201, ProspectOut, "The prospect", etag=True, location=True),
)
def record(body: NewProspect, idempotency_key: IdempotencyKey = None) -> Response[ProspectOut]:
    def recorded() -> Response[ProspectOut]:
        caller = grant(app)
        prospect = service.record(
            caller,
            prospect_id=request_id(app),
            name=body.name,
            phone=body.phone,
            source=body.source,
            branch_id=body.branch_id,
            manager_id=body.manager_id,
            now=request_time(app),
        )
        out = ProspectOut.of(prospect, caller.identity.role)
        return tagged(out, prospect.version, status=201, location=new_member(app, prospect.prospect_id))

    return once(app, idempotency_key, body, recorded, to_json)


@app.get(
    "/prospects",
    summary="A branch's prospects, newest first",
    tags=["prospects"],
    operation_id="listProspects",
    responses=documented(200, ProspectPage, "One page of prospects"),
)
def listing(
    branch_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    status: Annotated[str | None, status_query(ProspectStatus)] = None,
    client_id: Annotated[
        str | None, Query(min_length=1, max_length=64, description="The prospect converted to this client")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ProspectPage:
    caller = grant(app)
    found, next_cursor = service.listing(
        caller,
        branch_id=branch_id,
        statuses=statuses(status, ProspectStatus),
        client_id=client_id,
        limit=limit,
        cursor=cursor,
    )
    return ProspectPage(items=[ProspectOut.of(p, caller.identity.role) for p in found], next_cursor=next_cursor)


@app.get(
    "/prospects/<prospect_id>",
    summary="A prospect",
    tags=["prospects"],
    operation_id="getProspect",
    responses=documented(200, ProspectOut, "The prospect", 404, etag=True),
)
def read(prospect_id: ProspectId) -> Response[ProspectOut]:
    caller = grant(app)
    prospect = service.find(caller, prospect_id)
    return tagged(ProspectOut.of(prospect, caller.identity.role), prospect.version)


@app.post(
    "/prospects/<prospect_id>/outcome",
    summary="Converted (naming the new client) or dropped (saying why); the follow-up clock stops",
    tags=["prospects"],
    operation_id="settleProspect",
    responses=documented(200, ProspectOut, "The prospect", 404, 409, 412, etag=True),
)
def settle(
    prospect_id: ProspectId, body: ProspectOutcomeIn, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Response[ProspectOut]:
    expected = expected_version(if_match)

    def settled() -> Response[ProspectOut]:
        caller = grant(app)
        prospect = service.settle(
            caller,
            prospect_id,
            body.outcome,
            client_id=body.client_id,
            reason=body.reason,
            now=request_time(app),
            expected_version=expected,
        )
        return tagged(ProspectOut.of(prospect, caller.identity.role), prospect.version)

    return once(app, idempotency_key, body, settled, to_json)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
