"""Retention-case routes (转户/销户, Part 5; DOMAIN §6): a transfer or closure request, what was
done to keep the client, and the final outcome the client's status follows."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_id, request_time, to_json
from crm.api.etag import IfMatch, expected_version, new_member, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.query import Cursor, Limit, OfClient, status_query, statuses
from crm.api.retention import ActionIn, CaseOut, CaseOutcomeIn, CasePage, NewCase
from crm.domain.retention import CaseStatus
from crm.observability import observed
from crm.services import retention as service

app = create_app()

CaseId = Annotated[str, Path(pattern=r"^RC-\d{8}-[0-9a-f]{1,32}$", max_length=64, description="RC-YYYYMMDD-…")]


@app.post(
    "/retention-cases",
    summary="Open a retention case for a transfer or closure request (one open case per client)",
    tags=["retention"],
    operation_id="openRetentionCase",
    responses=documented(201, CaseOut, "The case", 404, 409, etag=True, location=True),
)
def open_case(body: NewCase, idempotency_key: IdempotencyKey = None) -> Response[CaseOut]:
    def opened() -> Response[CaseOut]:
        now = request_time(app)
        case = service.open_request(
            grant(app),
            client_id=body.client_id,
            kind=body.kind,
            reason=body.reason,
            note=body.note,
            now=now,
            case_id=service.case_id_for(now, request_id(app)),
        )
        return tagged(CaseOut.of(case), case.version, status=201, location=new_member(app, case.case_id))

    return once(app, idempotency_key, body, opened, to_json)


@app.get(
    "/retention-cases",
    summary="A branch's retention cases, newest first",
    tags=["retention"],
    operation_id="listRetentionCases",
    responses=documented(200, CasePage, "One page of cases"),
)
def list_cases(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    status: Annotated[str | None, status_query(CaseStatus)] = None,
    client_id: OfClient = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CasePage:
    cases, next_cursor = service.listing(
        grant(app),
        branch_id=branch_id,
        statuses=statuses(status, CaseStatus),
        client_id=client_id,
        limit=limit,
        cursor=cursor,
    )
    return CasePage(items=[CaseOut.of(c) for c in cases], next_cursor=next_cursor)


@app.get(
    "/retention-cases/<case_id>",
    summary="A retention case",
    tags=["retention"],
    operation_id="getRetentionCase",
    responses=documented(200, CaseOut, "The case", 404, etag=True),
)
def get_case(case_id: CaseId) -> Response[CaseOut]:
    case = service.find(grant(app), case_id)
    return tagged(CaseOut.of(case), case.version)


@app.post(
    "/retention-cases/<case_id>/actions",
    summary="Record a retention action (who, when, what)",
    tags=["retention"],
    operation_id="recordRetentionAction",
    responses=documented(200, CaseOut, "The case", 404, 409, 412, etag=True),
)
def record_action(
    case_id: CaseId, body: ActionIn, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Response[CaseOut]:
    expected = expected_version(if_match)

    def recorded() -> Response[CaseOut]:
        case = service.record_action(
            grant(app), case_id, body.action, body.note, now=request_time(app), expected_version=expected
        )
        return tagged(CaseOut.of(case), case.version)

    return once(app, idempotency_key, body, recorded, to_json)


@app.post(
    "/retention-cases/<case_id>/outcome",
    summary="The case's final outcome; the client's status follows (transferred, closed: always accepted)",
    tags=["retention"],
    operation_id="decideRetentionCase",
    responses=documented(200, CaseOut, "The decided case", 404, 409, 412, etag=True),
)
def decide(
    case_id: CaseId, body: CaseOutcomeIn, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Response[CaseOut]:
    expected = expected_version(if_match)

    def decided() -> Response[CaseOut]:
        case = service.record_outcome(
            grant(app), case_id, body.outcome, body.note, now=request_time(app), expected_version=expected
        )
        return tagged(CaseOut.of(case), case.version)

    return once(app, idempotency_key, body, decided, to_json)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
