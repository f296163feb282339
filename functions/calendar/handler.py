"""Working-day calendar routes (DOMAIN §10): HQ loads a year; everyone reads the one in force."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_time
from crm.api.calendar import YearCalendar, YearCalendarOut
from crm.api.etag import IfMatch, expected_version, tagged
from crm.domain.calendar import MAX_YEAR, MIN_YEAR
from crm.observability import observed
from crm.services import calendar as service

app = create_app()

Year = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR, description="Calendar year")]


@app.put(
    "/calendar/<year>",
    summary="Load a year's holidays and make-up working days (hq)",
    description=(
        "Overrides the library's calendar for that year. Deadlines computed provisionally for the year "
        "are recomputed and their flag cleared, without anyone re-submitting anything. `If-Match` takes the "
        "`ETag` of `GET /calendar/{year}`."
    ),
    tags=["calendar"],
    operation_id="loadCalendarYear",
    responses=documented(200, YearCalendarOut, "The calendar now in force", 400, 409, 412, etag=True),
)
def load_year(year: Year, body: YearCalendar, if_match: IfMatch = None) -> Response[YearCalendarOut]:
    caller = grant(app)
    now = request_time(app)
    schedule = service.load_year(
        caller, year, body.holidays, body.workdays, now=now, expected_version=expected_version(if_match)
    )
    in_force = (schedule, caller.identity.user_id, now)
    return tagged(YearCalendarOut.of(year, *in_force), service.year_version(year, *in_force))


@app.get(
    "/calendar/<year>",
    summary="The working-day calendar in force for a year, and where it comes from",
    description="Its `ETag` is a digest of what it says (days, source, who loaded it and when).",
    tags=["calendar"],
    operation_id="getCalendarYear",
    responses=documented(200, YearCalendarOut, "The calendar", etag=True),
)
def read_year(year: Year) -> Response[YearCalendarOut]:
    in_force = service.describe_year(year)
    return tagged(YearCalendarOut.of(year, *in_force), service.year_version(year, *in_force))


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
