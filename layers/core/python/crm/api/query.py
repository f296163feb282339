"""What every listing reads and answers alike (API.md «Rules», «Lists»): the page (`limit`, `cursor`
in, `next_cursor` out), `client_id` on lists of records about clients, and `status`, which takes
several values separated by commas (`?status=open,done`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import Field

from crm.errors import InvalidInput

Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=2048)]
NextCursor = Annotated[str | None, Field(description="Pass as `cursor` for the next page; null on the last")]
OfClient = Annotated[str | None, Query(min_length=1, max_length=64, description="Only the records of this client")]

_Status = TypeVar("_Status", bound=StrEnum)


def status_query(kind: type[StrEnum]) -> Query:
    """The `status` parameter of a listing of `kind`s, documented with the values it takes."""
    values = ", ".join(member.value for member in kind)
    return Query(min_length=1, max_length=200, description=f"One or more of {values}, separated by commas")


def statuses(given: str | None, kind: type[_Status]) -> tuple[_Status, ...] | None:
    """The statuses a `status` parameter names (None: any), each once; 422 naming `status` for a
    value that is not one of `kind`."""
    if given is None:
        return None
    found = []
    for value in given.split(","):
        try:
            found.append(kind(value.strip()))
        except ValueError:
            known = ", ".join(member.value for member in kind)
            raise InvalidInput(f"status {value!r} is not one of {known}", field="status") from None
    return tuple(dict.fromkeys(found))
