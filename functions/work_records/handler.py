"""Managers' service-record routes (第52–55条; DOMAIN §8): work logs, weekly summaries, visits,
supervisors' spot checks, and a manager's activity over a period (from the stream's counters)."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from datetime import date, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.activity import (
    ManagerActivityOut,
    SpotCheckIn,
    SpotCheckOut,
    SummaryIn,
    SummaryOut,
    VisitIn,
    VisitOut,
    VisitPage,
    WorkLogIn,
    WorkLogOut,
    WorkLogPage,
)
from crm.api.app import create_app, documented, grant, request_id, request_time, to_json
from crm.api.etag import IfMatch, expected_version, tagged
from crm.api.idempotency import IdempotencyKey, once
from crm.api.models import Identifier
from crm.api.query import Cursor, Limit
from crm.observability import observed
from crm.services import activity as service

app = create_app()

ManagerId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Week = Annotated[str, Path(pattern=r"^\d{4}-W\d{2}$", description="ISO week, e.g. 2026-W23")]


def _created(body: Any) -> Response[Any]:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


@app.put(
    "/work-logs/<manager_id>/<date>",
    summary="Write a working day's log: its manager, on the day or the working day after; later a supervisor",
    tags=["service records"],
    operation_id="writeWorkLog",
    responses=documented(200, WorkLogOut, "The log as stored", 404, 409, 412, etag=True),
)
def write_log(
    manager_id: ManagerId, date: Annotated[date, Path()], body: WorkLogIn, if_match: IfMatch = None
) -> Response[WorkLogOut]:
    log = service.write_log(
        grant(app),
        manager_id,
        date,
        [e.entry() for e in body.entries],
        reason=body.reason,
        now=request_time(app),
        expected_version=expected_version(if_match),
    )
    return tagged(WorkLogOut.of(log), log.version)


@app.get(
    "/work-logs",
    summary="A manager's work logs of a period",
    tags=["service records"],
    operation_id="listWorkLogs",
    responses=documented(200, WorkLogPage, "One page of the logs, oldest first", 404),
)
def list_logs(
    manager_id: Annotated[Identifier, Query()],
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> WorkLogPage:
    logs, next_cursor = service.logs(grant(app), manager_id, from_, to, limit=limit, cursor=cursor)
    return WorkLogPage(items=[WorkLogOut.of(log) for log in logs], next_cursor=next_cursor)


@app.put(
    "/weekly-summaries/<manager_id>/<week>",
    summary="Write a week's summary: achieved, problems, plan (周工作总结)",
    tags=["service records"],
    operation_id="writeWeeklySummary",
    responses=documented(200, SummaryOut, "The summary as stored", 404, 409, 412, etag=True),
)
def write_summary(manager_id: ManagerId, week: Week, body: SummaryIn, if_match: IfMatch = None) -> Response[SummaryOut]:
    summary = service.write_summary(
        grant(app),
        manager_id,
        week,
        achieved=body.achieved,
        problems=body.problems,
        plan=body.plan,
        now=request_time(app),
        expected_version=expected_version(if_match),
    )
    return tagged(SummaryOut.of(summary), summary.version)


@app.post(
    "/visits",
    summary="Record a visit of one of the manager's own clients (拜访)",
    tags=["service records"],
    operation_id="recordVisit",
    responses=documented(201, VisitOut, "The visit", 404),
)
def record_visit(body: VisitIn, idempotency_key: IdempotencyKey = None) -> Response[VisitOut]:
    def recorded() -> Response[VisitOut]:
        visit = service.record_visit(
            grant(app),
            visit_id=request_id(app),
            client_id=body.client_id,
            at=body.at,
            channel=body.channel,
            purpose=body.purpose,
            outcome=body.outcome,
            self_assessment=body.self_assessment,
            now=request_time(app),
        )
        return _created(VisitOut.of(visit))

    return once(app, idempotency_key, body, recorded, to_json)


@app.get(
    "/visits",
    summary="Visits, newest first: a manager's, a client's or a branch's",
    tags=["service records"],
    operation_id="listVisits",
    responses=documented(200, VisitPage, "One page of visits"),
)
def list_visits(
    branch_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    manager_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    client_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> VisitPage:
    found, next_cursor = service.visits(
        grant(app),
        branch_id=branch_id,
        manager_id=manager_id,
        client_id=client_id,
        start=from_,
        end=to,
        limit=limit,
        cursor=cursor,
    )
    return VisitPage(items=[VisitOut.of(v) for v in found], next_cursor=next_cursor)


@app.post(
    "/spot-checks",
    summary="Record a spot check of a manager's logs and visits of a period (抽查, 第55条)",
    tags=["service records"],
    operation_id="recordSpotCheck",
    responses=documented(201, SpotCheckOut, "The spot check"),
)
def spot_check(body: SpotCheckIn, idempotency_key: IdempotencyKey = None) -> Response[SpotCheckOut]:
    def recorded() -> Response[SpotCheckOut]:
        check = service.spot_check(
            grant(app),
            check_id=request_id(app),
            manager_id=body.manager_id,
            start=body.from_,
            end=body.to,
            finding=body.finding,
            log_days=body.logs,
            visit_ids=body.visits,
            now=request_time(app),
        )
        return _created(SpotCheckOut.of(check))

    return once(app, idempotency_key, body, recorded, to_json)


@app.get(
    "/managers/<manager_id>/activity",
    summary="What a manager did in a period: logs, minutes by kind, visits, weekly summaries, spot checks",
    description="From counters the streams keep: a handful of reads whatever the number of records.",
    tags=["service records"],
    operation_id="getManagerActivity",
    responses=documented(200, ManagerActivityOut, "The activity", 404),
)
def activity(
    manager_id: ManagerId, from_: Annotated[date, Query(alias="from")], to: Annotated[date, Query()]
) -> ManagerActivityOut:
    return ManagerActivityOut.of(service.activity(grant(app), manager_id, from_, to))


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
