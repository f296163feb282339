"""What the pages of every listing share beyond the signed cursor (crm.data.base; API.md «Rules»,
«Lists»): how much DynamoDB is asked for, and pages of lists held in memory (a rule table's
catalogue, a stored document's items) under the same cursors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from crm.data.base import decode_cursor, encode_cursor

_Value = TypeVar("_Value")


def read_ahead(limit: int) -> int:
    """How many items to ask DynamoDB for, for a page of `limit`: one more, so that the last page
    is known as such (nothing read after it: no cursor to an empty page)."""
    return limit + 1


def offset_of(cursor: str | None, listing: str) -> int:
    """Where a page of `listing` starts: 0 without a cursor, else the offset the cursor carries
    (400 naming `cursor` for one this listing did not hand out). Apart from `page_of`, so that a
    listing can refuse a bad cursor before it reads anything."""
    position = decode_cursor(cursor, listing)
    return int(position["offset"]) if position else 0


def page_of(items: Sequence[_Value], *, listing: str, limit: int, offset: int) -> tuple[list[_Value], str | None]:
    """The `limit` items from `offset` on, and the cursor of the next page (None on the last)."""
    end = offset + limit
    return list(items[offset:end]), encode_cursor({"offset": end} if end < len(items) else None, listing)
