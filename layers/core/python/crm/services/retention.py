"""Transfer and closure requests and their retention cases (转户/销户, Part 5; DOMAIN §6).

Opening a case, recording what was done to keep the client, and the one final outcome, which the
client's record follows (`status`). A case never refuses a client who leaves: the only refusals
are a second open case, a second outcome and a case for a client who has already left. A race with
another writer of the client's record (a reclassification) is retried here, not turned into a
refusal.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from crm.data import retention as retention_data
from crm.data.clients import person as person_data
from crm.data.clients import records as client_data
from crm.domain.access import Grant
from crm.domain.client import Client, is_restricted
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.retention import (
    CLIENT_STATUS_AFTER,
    CaseKind,
    CaseStatus,
    Outcome,
    Reason,
    RetentionAction,
    RetentionCase,
    add_action,
    decide,
    open_case,
)
from crm.domain.time import beijing
from crm.errors import Conflict, NotFound

MAX_ATTEMPTS = 5


def _client(grant: Grant, client_id: str) -> Client:
    client = client_data.get(client_id, consistent=True)
    if client is None:
        raise NotFound(f"no client {client_id}", field="client_id")
    grant.require(branch_id=client.branch_id, manager_id=client.manager_id, what=f"client {client_id}")
    return client


def case_id_for(now: datetime, request_id: str) -> str:
    return f"RC-{beijing(now):%Y%m%d}-{request_id.replace('-', '')[:10]}"


def open_request(
    grant: Grant, *, client_id: str, kind: CaseKind, reason: Reason, note: str | None, now: datetime, case_id: str
) -> RetentionCase:
    for _ in range(MAX_ATTEMPTS):
        client = _client(grant, client_id)
        case = open_case(
            client, case_id=case_id, kind=kind, reason=reason, note=note, by=grant.identity.user_id, at=now
        )
        try:
            version = retention_data.open_case(case, client)
        except retention_data.OpenCaseExists as exc:
            raise Conflict(f"client {client_id} has an open case already ({exc})", field="client_id") from None
        except retention_data.ClientChanged:
            continue
        return replace(case, version=version)
    raise Conflict(f"client {client_id} kept changing; try again", field="client_id")


def find(grant: Grant, case_id: str) -> RetentionCase:
    case = retention_data.get(case_id)
    if case is None:
        raise NotFound(f"no retention case {case_id}", field="case_id")
    grant.require(branch_id=case.branch_id, manager_id=case.manager_id, what=f"case {case_id}")
    return case


def record_action(
    grant: Grant,
    case_id: str,
    action: str,
    note: str | None,
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> RetentionCase:
    for _ in range(MAX_ATTEMPTS):
        case = find(grant, case_id)  # read again on a retry: still at the version the caller named?
        require_version(expected_version, case.version, what=f"case {case_id}")
        after = add_action(case, RetentionAction(action=action, note=note, by=grant.identity.user_id, at=now))
        if retention_data.add_action(case, after):
            return retention_data.get(case_id) or after
    raise Conflict(f"case {case_id} kept changing; try again", field="case_id")


def record_outcome(
    grant: Grant,
    case_id: str,
    outcome: Outcome,
    note: str | None,
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> RetentionCase:
    """The final outcome; the client's status follows in the same write (DOMAIN §6)."""
    for _ in range(MAX_ATTEMPTS):
        case = find(grant, case_id)  # read again on a retry: still at the version the caller named?
        require_version(expected_version, case.version, what=f"case {case_id}")
        decided = decide(case, outcome, note=note, by=grant.identity.user_id, at=now)
        client = client_data.get(case.client_id, consistent=True)
        if client is None:
            raise NotFound(f"no client {case.client_id}", field="client_id")
        try:
            retention_data.decide(case, decided, client, outcome, restrict=_restricted_with(client, outcome))
        except retention_data.ClientChanged:
            continue
        return retention_data.get(case_id) or decided
    raise Conflict(f"case {case_id} kept changing; try again", field="case_id")


def _restricted_with(client: Client, outcome: Outcome) -> list[Client] | None:
    """The person's other accounts when this outcome leaves none of the person's accounts open
    (PIPL 第47条: the person is restricted in the same write); None while one stays open."""
    person = person_data.get(person_data.id_hash(client))
    others = [c for c in person_data.accounts(person) if c.client_id != client.client_id] if person else []
    if not is_restricted([CLIENT_STATUS_AFTER[outcome], *(c.status for c in others)]):
        return None
    return others


def listing(
    grant: Grant,
    *,
    branch_id: str | None,
    statuses: Collection[CaseStatus] | None,
    client_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[RetentionCase], str | None]:
    return retention_data.for_branch(
        grant.listing_branch(branch_id),
        statuses=statuses,
        client_id=client_id,
        manager_id=grant.manager_filter(),
        limit=limit,
        cursor=cursor,
    )
