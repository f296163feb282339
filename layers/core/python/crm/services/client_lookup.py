"""A client as its caller may see it: the first step of every capability that serves one client.

Its own module, apart from crm.services.clients (registration, metrics, class history): a
complaint, a contact or a questionnaire needs the client's record, not what maintains it, and a
function's cold start imports only what its requests use (P1, tests/bench/cold_start.py)."""

from __future__ import annotations

from crm.data.clients import records as client_data
from crm.domain.access import Grant
from crm.domain.client import Client
from crm.errors import NotFound


def find(grant: Grant, client_id: str) -> Client:
    """The client, if it exists and the caller's scope covers it (403 otherwise, never the data)."""
    client = client_data.get(client_id)
    if client is None:
        raise NotFound(f"no client {client_id}", field="client_id")
    grant.require(branch_id=client.branch_id, manager_id=client.manager_id, what=f"client {client_id}")
    return client
