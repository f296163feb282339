"""Callback routes (回访, Part 7; DOMAIN §5): the work lists, owners, attempts and the yearly sample.

A manager sees its own clients' tasks and those it was given; branch roles see the branch. The
client's own manager may not record an attempt on a new-account, sample, post-complaint or
post-closure callback (independence), and the person complained about never on the callback that
follows the complaint.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_time, to_json
from crm.api.callbacks import AttemptIn, CallbackDetail, CallbackOut, CallbackPage, OwnerIn, SampleOut
from crm.api.etag import IfMatch, expected_version, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.query import Cursor, Limit, OfClient, status_query, statuses
from crm.domain.callbacks import TASK_ID_PATTERN, Kind, TaskStatus
from crm.observability import observed
from crm.services import callbacks as service

# A post-complaint attempt's complaint code loads with the first of them (crm.services.callbacks);
# in AWS it is in the snapshot already.
app = create_app(deferred=("crm.services.complaint_callbacks",))

CallbackId = Annotated[str, Path(pattern=TASK_ID_PATTERN, max_length=160, description="e.g. NA-C001")]


@app.get(
    "/callbacks",
    summary="Callback tasks, due first",
    description="`owner=pool`: the branch's unassigned tasks; `owner=<user>`: that person's. "
    "hq and compliance name the branch (or a client).",
    tags=["callbacks"],
    operation_id="listCallbacks",
    responses=documented(200, CallbackPage, "One page of tasks"),
)
def list_callbacks(
    branch_id: Annotated[str | None, Query(max_length=64, description="Required for hq and compliance")] = None,
    owner: Annotated[str | None, Query(min_length=1, max_length=64, description="A user id, or pool")] = None,
    due_before: Annotated[datetime | None, Query(description="ISO 8601 with offset")] = None,
    kind: Annotated[Kind | None, Query()] = None,
    status: Annotated[str | None, status_query(TaskStatus)] = None,
    client_id: OfClient = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CallbackPage:
    tasks, next_cursor = service.listing(
        grant(app),
        branch_id=branch_id,
        owner=owner,
        kind=kind,
        statuses=statuses(status, TaskStatus),
        client_id=client_id,
        due_before=due_before,
        limit=limit,
        cursor=cursor,
    )
    return CallbackPage(items=[CallbackOut.of(t) for t in tasks], next_cursor=next_cursor)


@app.get(
    "/callbacks/samples/<year>",
    summary="The yearly sample's draw, to reproduce it (hq, compliance)",
    tags=["callbacks"],
    operation_id="getCallbackSample",
    responses=documented(200, SampleOut, "The draw", 404),
)
def get_sample(year: Annotated[int, Path(ge=2000, le=2100)]) -> SampleOut:
    return SampleOut.of(service.sample(grant(app), year))


@app.get(
    "/callbacks/<callback_id>",
    summary="A callback task with what each attempt recorded",
    tags=["callbacks"],
    operation_id="getCallback",
    responses=documented(200, CallbackDetail, "The task", 404, etag=True),
)
def get_callback(callback_id: CallbackId) -> Response[CallbackDetail]:
    task, attempts = service.find(grant(app), callback_id)
    return tagged(CallbackDetail.detail(task, attempts), task.version)


@app.put(
    "/callbacks/<callback_id>/owner",
    summary="Assign a task (supervisor), take it (counter staff), or return it to the pool (owner null)",
    tags=["callbacks"],
    operation_id="assignCallback",
    responses=documented(200, CallbackDetail, "The task", 404, 409, 412, etag=True),
)
def assign(callback_id: CallbackId, body: OwnerIn, if_match: IfMatch = None) -> Response[CallbackDetail]:
    task, attempts = service.assign(
        grant(app), callback_id, body.owner, now=request_time(app), expected_version=expected_version(if_match)
    )
    return tagged(CallbackDetail.detail(task, attempts), task.version)


@app.post(
    "/callbacks/<callback_id>/attempts",
    summary="Record an attempt: reached with attitude and score, it is done; the third unreached, unreachable",
    description="A post-complaint callback done moves its complaint to callback_done. 403 for the client's own "
    "manager on new_account, sample, post_complaint and post_closure; 409 once the task is no longer open.",
    tags=["callbacks"],
    operation_id="recordCallbackAttempt",
    responses=documented(200, CallbackDetail, "The task as the attempt leaves it", 404, 409, 412, etag=True),
)
def record_attempt(
    callback_id: CallbackId, body: AttemptIn, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Response[CallbackDetail]:
    expected = expected_version(if_match)

    def attempt() -> Response[CallbackDetail]:
        task, attempts = service.record_attempt(
            grant(app), callback_id, body.given(), now=request_time(app), expected_version=expected
        )
        return tagged(CallbackDetail.detail(task, attempts), task.version)

    return once(app, idempotency_key, body, attempt, to_json)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
