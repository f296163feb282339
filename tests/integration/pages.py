"""A paged list read to its end (API.md «Lists»), for the tests of each capability that lists."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.integration.harness import SUPERVISOR, Harness

MAX_PAGES = 50  # a listing that never ends is a defect, not a long wait


def every_page(
    harness: Harness, path: str, *, limit: int, query: str = "", as_: tuple[str, str, str | None] = SUPERVISOR
) -> list[list[dict[str, Any]]]:
    """Each page's items, `limit` at a time, following `next_cursor` until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while len(pages) < MAX_PAGES:
        parts = [query, f"limit={limit}", f"cursor={quote(cursor, safe='')}" if cursor else ""]
        response = harness.call("GET", path, as_=as_, query="&".join(p for p in parts if p))
        assert response.status == 200, (path, response.body)
        page = response.json()
        assert len(page["items"]) <= limit, page
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError(f"{path} handed out a cursor on each of {MAX_PAGES} pages")


def whole(harness: Harness, path: str, *, query: str = "", as_: tuple[str, str, str | None] = SUPERVISOR) -> list[Any]:
    """The list in one page (the default limit), which must be its only one."""
    response = harness.call("GET", path, as_=as_, query=query)
    assert response.status == 200, (path, response.body)
    assert response.json()["next_cursor"] is None, response.body
    return list(response.json()["items"])
