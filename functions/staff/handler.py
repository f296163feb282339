"""The staff register's routes (DOMAIN §11): put a staff member on it or change one (its role,
branch and status, set on the identity provider's user too), list a branch's staff, read one with
its history.

Thin: parse (pydantic), authorise (grant from the access middleware), call the service, shape
the response.
"""

from __future__ import annotations

import crm.coldstart  # noqa: F401  (first: see its doc)

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from crm.api.app import create_app, documented, grant, request_time
from crm.api.etag import IfMatch, expected_version, tagged
from crm.api.staff import StaffDetail, StaffIn, StaffOut, StaffPage
from crm.domain.access import Role
from crm.domain.identifiers import IDENTIFIER_MAX_CHARS, IDENTIFIER_PATTERN
from crm.observability import observed
from crm.services import staff as service

app = create_app()

StaffId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=IDENTIFIER_MAX_CHARS,
        pattern=IDENTIFIER_PATTERN,
        description="The staff member's id: its user name with the identity provider",
    ),
]


@app.put(
    "/staff/<staff_id>",
    summary="Put a staff member on the register, or change one (hq: anyone; supervisor: its branch's "
    "managers and counter staff)",
    description="Role, branch and status are set on the identity provider's user too. A manager still "
    "assigned clients cannot move branch, change role or be deactivated (409 with the number).",
    tags=["staff"],
    operation_id="putStaffMember",
    responses=documented(200, StaffOut, "The staff member as the register now says", 409, 412, 503, etag=True),
)
def put_member(staff_id: StaffId, body: StaffIn, if_match: IfMatch = None) -> Response[StaffOut]:
    caller = grant(app)
    member = service.put(
        caller,
        staff_id,
        body.state(),
        reason=body.reason,
        now=request_time(app),
        expected_version=expected_version(if_match),
    )
    return tagged(StaffOut.of(member), member.version)


@app.get(
    "/staff",
    summary="The staff of a branch (managers and counter staff see their own branch's), or everyone's (hq)",
    tags=["staff"],
    operation_id="listStaff",
    responses=documented(200, StaffPage, "One page of staff, by id"),
)
def listing(
    branch_id: Annotated[str | None, Query(min_length=1, max_length=IDENTIFIER_MAX_CHARS)] = None,
    role: Annotated[Role | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> StaffPage:
    found, next_cursor = service.listing(
        grant(app), branch_id=branch_id, role=role, active=active, limit=limit, cursor=cursor
    )
    return StaffPage(items=[StaffOut.of(member) for member in found], next_cursor=next_cursor)


@app.get(
    "/staff/<staff_id>",
    summary="A staff member with every change of its role, branch and status, newest first",
    tags=["staff"],
    operation_id="getStaffMember",
    responses=documented(200, StaffDetail, "The staff member", 404, etag=True),
)
def read(staff_id: StaffId) -> Response[StaffDetail]:
    member, history = service.find(grant(app), staff_id)
    return tagged(StaffDetail.with_history(member, history), member.version)


@observed(correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
