"""Quarterly-report routes (第55条): the files of a quarter's latest version (presigned URLs, 15
minutes; a supervisor gets its branch's), and its figures as JSON for dashboards."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant
from crm.api.query import Cursor, Limit
from crm.api.reports import QuarterlyFigures, QuarterlyReport, ReportFile
from crm.domain.report import Scope
from crm.observability import observed
from crm.services import quarterly_report as service

app = create_app()

Period = Annotated[str, Path(min_length=1, max_length=16, description="YYYYQn, e.g. 2026Q2")]
BranchId = Annotated[str | None, Query(min_length=1, max_length=64, description="One branch's (a supervisor: its own)")]


@app.get(
    "/reports/quarterly/<period>",
    summary="A quarter's report: its latest version and the files to download",
    description=(
        "hq and compliance get every file (each branch's under branches/<id>/), or one branch's with "
        "branch_id; a branch supervisor its branch's. 404 before the report exists."
    ),
    tags=["reports"],
    operation_id="getQuarterlyReport",
    responses=documented(200, QuarterlyReport, "The report", 404),
)
def quarterly(period: Period, branch_id: BranchId = None) -> QuarterlyReport:
    version, files = service.published(grant(app), period, branch_id=branch_id)
    return QuarterlyReport(
        period=str(version.quarter),
        version=version.version,
        generated_at=version.generated_at,
        files=[ReportFile(**f) for f in files],
    )


@app.get(
    "/reports/quarterly/<period>/figures",
    summary="A quarter's figures as JSON, for dashboards (the same as metrics.csv)",
    tags=["reports"],
    operation_id="getQuarterlyFigures",
    responses=documented(200, QuarterlyFigures, "One page of the figures", 404),
)
def figures(
    period: Period,
    scope: Annotated[
        Scope | None, Query(description="company, branch or manager (default: branch if one is named)")
    ] = None,
    branch_id: BranchId = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> QuarterlyFigures:
    page, next_cursor = service.figures(
        grant(app), period, scope=scope, branch_id=branch_id, limit=limit, cursor=cursor
    )
    return QuarterlyFigures.of(page, next_cursor)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
