"""Profile routes (第9–11条): the manager's trading-habit, value and decision-style entries with
their history, and the branch's target-VIP list (Part 4)."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_time
from crm.api.etag import IfMatch, expected_version, tagged
from crm.api.profiles import ProfileChangeOut, ProfileHistory, ProfileIn, ProfileOut, VipTarget, VipTargets
from crm.api.query import Cursor, Limit
from crm.observability import observed
from crm.services import profiles as service

app = create_app()


@app.get(
    "/clients/<client_id>/profile",
    summary="The manager's profile of the client, with the habit its holding period suggests",
    description="Its `ETag` is the client's: the profile is part of the client's record.",
    tags=["profiles"],
    operation_id="getClientProfile",
    responses=documented(200, ProfileOut, "The profile", 404, etag=True),
)
def read_profile(client_id: ClientId) -> Response[ProfileOut]:
    client, suggested = service.read(grant(app), client_id)
    return tagged(ProfileOut.of_client(client, suggested), client.version)


@app.put(
    "/clients/<client_id>/profile",
    summary="Update the profile (the client's manager); every change is kept",
    description="Fields left out keep their value; a suggestion never replaces the manager's entry. `If-Match` "
    "takes the client's `ETag` (from this route's GET, or the client's own).",
    tags=["profiles"],
    operation_id="updateClientProfile",
    responses=documented(200, ProfileOut, "The profile as now recorded", 400, 404, 409, 412, etag=True),
)
def update_profile(client_id: ClientId, body: ProfileIn, if_match: IfMatch = None) -> Response[ProfileOut]:
    caller = grant(app)
    client = service.update(
        caller,
        client_id,
        body.model_dump(exclude_unset=True),
        now=request_time(app),
        expected_version=expected_version(if_match),
    )
    return tagged(ProfileOut.of_client(client, service.read(caller, client_id)[1]), client.version)


@app.get(
    "/clients/<client_id>/profile-history",
    summary="Every profile change, newest first",
    tags=["profiles"],
    operation_id="listClientProfileChanges",
    responses=documented(200, ProfileHistory, "One page of the changes", 404),
)
def profile_history(client_id: ClientId, limit: Limit = 50, cursor: Cursor = None) -> ProfileHistory:
    changes, next_cursor = service.history(grant(app), client_id, limit=limit, cursor=cursor)
    return ProfileHistory(items=[ProfileChangeOut.of(c) for c in changes], next_cursor=next_cursor)


@app.get(
    "/vip/targets",
    summary="The branch's target VIPs: class C/D clients rated 明日之星",
    tags=["profiles"],
    operation_id="listVipTargets",
    responses=documented(200, VipTargets, "One page of the cultivation list"),
)
def vip_targets(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> VipTargets:
    targets, next_cursor = service.vip_targets(grant(app), branch_id=branch_id, limit=limit, cursor=cursor)
    return VipTargets(items=[VipTarget.of(c) for c in targets], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
