"""Complaint routes (Part 8; DOMAIN §4): intake with a gap-free number, and moves."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_time, to_json
from crm.api.complaints import ComplaintOut, ComplaintPage, ComplaintSummary, NewComplaint, TransitionIn
from crm.api.etag import IfMatch, expected_version, new_member, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.query import Cursor, Limit, OfClient, status_query, statuses
from crm.domain.complaints import Status
from crm.observability import observed
from crm.services import complaints as service

app = create_app()

ComplaintNo = Annotated[str, Path(pattern=r"^TS-\d{4}-\d{4,}$", description="TS-YYMM-NNNN")]


@app.post(
    "/complaints",
    summary="Take in a complaint; its number and deadlines are assigned in the same write",
    description="A replay with the same `Idempotency-Key` returns the same complaint and consumes no number.",
    tags=["complaints"],
    operation_id="fileComplaint",
    responses=documented(201, ComplaintOut, "The complaint", 400, 404, 409, etag=True, location=True),
)
def file_complaint(body: NewComplaint, idempotency_key: IdempotencyKey = None) -> Response[ComplaintOut]:
    def filed() -> Response[ComplaintOut]:
        caller = grant(app)
        intake = service.Intake(
            client_id=body.client_id,
            channel=body.channel,
            category=body.category,
            content=body.content,
            received_at=body.received_at,
            regulator_referral=body.regulator_referral,
            referral_ref=body.referral_ref,
            about_staff=tuple(body.about_staff),
        )
        number = service.file(caller, intake, now=request_time(app)).complaint_no
        complaint, history = service.find(caller, number)
        out = ComplaintOut.of(complaint, history)
        return tagged(out, complaint.version, status=201, location=new_member(app, number))

    return once(app, idempotency_key, body, filed, to_json)


@app.get(
    "/complaints",
    summary="A branch's complaints, newest first",
    description="Each without its history: `GET /complaints/{complaint_no}` gives that.",
    tags=["complaints"],
    operation_id="listComplaints",
    responses=documented(200, ComplaintPage, "One page of complaints"),
)
def list_complaints(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    status: Annotated[str | None, status_query(Status)] = None,
    client_id: OfClient = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ComplaintPage:
    complaints, next_cursor = service.listing(
        grant(app),
        branch_id=branch_id,
        statuses=statuses(status, Status),
        client_id=client_id,
        limit=limit,
        cursor=cursor,
    )
    return ComplaintPage(items=[ComplaintSummary.listed(c) for c in complaints], next_cursor=next_cursor)


@app.get(
    "/complaints/<complaint_no>",
    summary="A complaint with its state history",
    tags=["complaints"],
    operation_id="getComplaint",
    responses=documented(200, ComplaintOut, "The complaint", 404, etag=True),
)
def get_complaint(complaint_no: ComplaintNo) -> Response[ComplaintOut]:
    complaint, history = service.find(grant(app), complaint_no)
    return tagged(ComplaintOut.of(complaint, history), complaint.version)


@app.post(
    "/complaints/<complaint_no>/transitions",
    summary="Move a complaint to its next state, saying why",
    description=(
        "Illegal moves get 409; a role that may not make a move, or the person complained about, 403. "
        "A replay with the same `Idempotency-Key` returns the first answer and moves nothing."
    ),
    tags=["complaints"],
    operation_id="transitionComplaint",
    responses=documented(200, ComplaintOut, "The complaint in its new state", 400, 404, 409, 412, etag=True),
)
def transition(
    complaint_no: ComplaintNo, body: TransitionIn, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Response[ComplaintOut]:
    expected = expected_version(if_match)

    def moved() -> Response[ComplaintOut]:
        complaint, history = service.move(
            grant(app), complaint_no, body.to, body.note, now=request_time(app), expected_version=expected
        )
        return tagged(ComplaintOut.of(complaint, history), complaint.version)

    return once(app, idempotency_key, body, moved, to_json)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
