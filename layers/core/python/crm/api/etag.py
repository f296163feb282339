"""`ETag`, `If-Match` and `Location` at the API edge (API.md «Rules every route follows»: Concurrency).

Every answer that returns a single mutable resource carries its `ETag`: a strong validator naming
the version of the stored record (`"3"`), the same for each representation of that version (masked
for one caller, in clear for another). A change to the resource may send `If-Match` (RFC 9110
§13.1.1): `*`, or a list of entity tags, compared strongly — a weak tag (`W/"3"`) never matches.
The handler turns it into an `ExpectedVersion` for the service, which refuses a stale one (412)
before writing anything (crm.domain.concurrency).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header

from crm.domain.concurrency import IF_MATCH, ExpectedVersion, version_tag
from crm.errors import MalformedRequest

ETAG = "ETag"
LOCATION = "Location"
KEPT_HEADERS = (ETAG, LOCATION)  # what an idempotent replay repeats of the first answer's headers

IfMatch = Annotated[
    str | None,
    Header(
        alias=IF_MATCH,
        min_length=1,
        max_length=200,
        description="Optional: the `ETag` the change was made from (or `*`); a stale one is 412 and changes nothing",
    ),
]

# One element of the list (RFC 9110 §5.6.1: empty elements allowed): an entity tag, `W/` for a weak one.
_ELEMENT = re.compile(r'[ \t]*(?:(?P<weak>W/)?"(?P<opaque>[\x21\x23-\x7e]*)")?[ \t]*(?:,|\Z)')


def etag(version: int | str | None) -> str:
    """The strong entity tag of a record's version, quoted as RFC 9110 writes it."""
    return f'"{version_tag(version)}"'


def expected_version(if_match: str | None) -> ExpectedVersion | None:
    """What `If-Match` asks of the resource (None: nothing); 400 naming it when it is no list of tags."""
    if if_match is None:
        return None
    if if_match.strip(" \t") == "*":
        return ExpectedVersion(any_version=True)
    strong: set[str] = set()
    named = 0
    position = 0
    while position < len(if_match):
        element = _ELEMENT.match(if_match, position)
        if element is None or element.end() == position:
            raise MalformedRequest(f'{IF_MATCH} is `*` or a list of entity tags such as "3"', field=IF_MATCH)
        if element.group("opaque") is not None:
            named += 1
            if not element.group("weak"):  # a weak tag never matches under If-Match's strong comparison
                strong.add(element.group("opaque"))
        position = element.end()
    if not named:
        raise MalformedRequest(f'{IF_MATCH} names no entity tag such as "3"', field=IF_MATCH)
    return ExpectedVersion(frozenset(strong))


Body = TypeVar("Body")


def tagged(body: Body, version: int | str | None, *, status: int = 200, location: str | None = None) -> Response[Body]:
    """An answer that returns a resource: its body with its `ETag` (and, when it was just created
    and has a URL of its own, its `Location`)."""
    headers = {ETAG: etag(version)}
    if location is not None:
        headers[LOCATION] = location
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def new_member(app: APIGatewayRestResolver, member_id: str) -> str:
    """The URL of what a POST to a collection created, relative to the request's own (`clients/C001`
    for `POST …/clients`): resolved against it (RFC 9110 §10.2.2), it holds under any stage or base
    path the API is served at."""
    collection = app.current_event.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{collection}/{quote(member_id, safe='')}"


def kept_headers(headers: dict[str, Any]) -> dict[str, str]:
    """The headers of an answer worth repeating when it is replayed (crm.api.idempotency)."""
    return {name: str(value) for name, value in headers.items() if name in KEPT_HEADERS}
