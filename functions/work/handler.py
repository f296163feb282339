"""Each person's work for a day (第51–54条; DOMAIN §12): the callbacks, replies, complaint deadlines,
prospects and missing work log that are the caller's, due by that day's end or overdue, due first.

Thin: parse (pydantic), authorise (grant from the access middleware), call the service, shape
the response.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_time
from crm.api.work import WorkItemOut, WorkList
from crm.observability import observed
from crm.services import work as service

app = create_app()


@app.get(
    "/work",
    summary="The caller's work for a day (default today, Beijing): due by its end or overdue, due first",
    description="Callbacks it owns (and its branch's pool, for counter staff and supervisors), inquiries it "
    "must answer, its branch's complaints with an investigation or reply due (supervisors), prospects to "
    "follow up, and a manager's missing log of the working day before. Read from indexes of open work only.",
    tags=["work"],
    operation_id="getMyWork",
    responses=documented(200, WorkList, "The caller's work"),
)
def my_work(date: Annotated[date | None, Query(description="The day (YYYY-MM-DD)")] = None) -> WorkList:
    day, items, counts = service.work(grant(app), date, now=request_time(app))
    return WorkList(date=day, items=[WorkItemOut.of(w) for w in items], counts=counts)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
