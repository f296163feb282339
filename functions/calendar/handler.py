"""Working-day calendar routes (DOMAIN §10): HQ loads a year; everyone reads the one in force."""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_time
from crm.api.calendar import YearCalendar, YearCalendarOut
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
        "are recomputed and their flag cleared, without anyone re-submitting anything."
    ),
    tags=["calendar"],
    responses=documented(200, YearCalendarOut, "The calendar now in force", 400),
)
def load_year(year: Year, body: YearCalendar) -> YearCalendarOut:
    caller = grant(app)
    now = request_time(app)
    schedule = service.load_year(caller, year, body.holidays, body.workdays, now=now)
    return YearCalendarOut.of(year, schedule, caller.identity.user_id, now)


@app.get(
    "/calendar/<year>",
    summary="The working-day calendar in force for a year, and where it comes from",
    tags=["calendar"],
    responses=documented(200, YearCalendarOut, "The calendar"),
)
def read_year(year: Year) -> YearCalendarOut:
    return YearCalendarOut.of(year, *service.describe_year(year))


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
