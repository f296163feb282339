"""Investor-education routes (Part 9; DOMAIN §9a): activities, their attendance, and what a client
attended."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import ClientId, create_app, documented, grant, request_id, request_time, to_json
from crm.api.education import (
    ActivityPage,
    AttendanceIn,
    AttendanceOut,
    AttendedOut,
    AttendedPage,
    EducationActivityOut,
    NewActivity,
)
from crm.api.etag import IfMatch, expected_version, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.observability import observed
from crm.services import education as service

app = create_app()

ActivityId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


@app.post(
    "/education/activities",
    summary="Record an investor-education activity of a branch",
    tags=["education"],
    operation_id="createEducationActivity",
    responses=documented(201, EducationActivityOut, "The activity", etag=True),
)
def create(body: NewActivity, idempotency_key: IdempotencyKey = None) -> Response[EducationActivityOut]:
    def created() -> Response[EducationActivityOut]:
        activity = service.create(
            grant(app),
            activity_id=request_id(app),
            title=body.title,
            kind=body.kind,
            branch_id=body.branch_id,
            held_on=body.held_on,
            topic=body.topic,
            speaker=body.speaker,
            now=request_time(app),
        )
        return tagged(EducationActivityOut.of(activity), activity.version, status=201)

    return once(app, idempotency_key, body, created, to_json)


@app.get(
    "/education/activities",
    summary="A branch's activities of a period, latest first, with their attendances",
    tags=["education"],
    operation_id="listEducationActivities",
    responses=documented(200, ActivityPage, "One page of activities"),
)
def listing(
    branch_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ActivityPage:
    found, next_cursor = service.listing(
        grant(app), branch_id=branch_id, start=from_, end=to, limit=limit, cursor=cursor
    )
    return ActivityPage(
        items=[EducationActivityOut.of(a) for a in found],
        attendances=sum(a.attendees for a in found),
        next_cursor=next_cursor,
    )


@app.put(
    "/education/activities/<activity_id>/attendance",
    summary="Set who attended (all or nothing: every client must be the branch's)",
    description="`If-Match` takes the `ETag` of the activity's creation or of its last attendance.",
    tags=["education"],
    operation_id="setEducationAttendance",
    responses=documented(200, AttendanceOut, "The activity with its attendance", 404, 409, 412, etag=True),
)
def attendance(activity_id: ActivityId, body: AttendanceIn, if_match: IfMatch = None) -> Response[AttendanceOut]:
    activity, attendees = service.set_attendance(
        grant(app), activity_id, body.client_ids, now=request_time(app), expected_version=expected_version(if_match)
    )
    out = AttendanceOut(**EducationActivityOut.of(activity).model_dump(), client_ids=attendees)
    return tagged(out, activity.version)


@app.get(
    "/clients/<client_id>/education",
    summary="The education activities a client attended, latest first",
    tags=["education"],
    operation_id="listClientEducation",
    responses=documented(200, AttendedPage, "One page of activities", 404),
)
def history(
    client_id: ClientId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AttendedPage:
    found, next_cursor = service.history(grant(app), client_id, limit=limit, cursor=cursor)
    return AttendedPage(items=[AttendedOut.of(a) for a in found], next_cursor=next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
