"""A client as its caller may see it: the first step of every capability that serves one client.

Its own module, apart from crm.services.clients (registration, metrics, class history): a
complaint, a contact or a questionnaire needs the client's record, not what maintains it, and a
function's cold start imports only what its requests use (P1, tests/bench/cold_start.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from crm.data.clients import records as client_data
from crm.domain.access import Grant
from crm.domain.client import Client
from crm.errors import ClientChanged, NotFound

_Result = TypeVar("_Result")
FRESH_READS = 3  # reads of a client one request decides on before its lost race is the caller's 409


def find(grant: Grant, client_id: str) -> Client:
    """The client, if it exists and the caller's scope covers it (403 otherwise, never the data)."""
    client = client_data.get(client_id)
    if client is None:
        raise NotFound(f"no client {client_id}", field="client_id")
    grant.require(branch_id=client.branch_id, manager_id=client.manager_id, what=f"client {client_id}")
    return client


def decided_on_fresh(grant: Grant, client_id: str, decide: Callable[[Client], _Result]) -> _Result:
    """`decide` (which writes under the version it was given) on the client as it is now, again on
    a fresh read when the record changed in between: the stream consumers set a client's class and
    VIP at any moment (a year-end import changes thousands), and a questionnaire or profile entered
    meanwhile should not be refused for it. A lost write stored nothing, so deciding again is safe;
    an `If-Match` checked inside `decide` still answers 412 once the record has moved on."""
    for _ in range(FRESH_READS - 1):
        try:
            return decide(find(grant, client_id))
        except ClientChanged:
            continue
    return decide(find(grant, client_id))
