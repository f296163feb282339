"""Prospective clients (第32条; DOMAIN §8): recorded with a follow-up due at the end of the next
working day (an SLA clock: a missed follow-up escalates like any other), converted to a client or
dropped with the reason."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from crm import rules
from crm.data import clocks as clock_data
from crm.data import prospects as prospect_data
from crm.data.clients import records as client_data
from crm.domain.access import Grant
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.prospects import Prospect, ProspectOutcome, ProspectStatus, Source, decide
from crm.domain.sla import ClockKind, start_clock
from crm.errors import NotFound
from crm.services import staff_references as staff
from crm.services.calendar import calendar_for


def record(
    grant: Grant,
    *,
    prospect_id: str,
    name: str,
    phone: str,
    source: Source,
    branch_id: str,
    manager_id: str,
    now: datetime,
) -> Prospect:
    grant.require_branch(branch_id)
    grant.require(branch_id=branch_id, manager_id=manager_id, what="a prospect")
    staff.require(manager_id, roles=staff.MANAGERS, branch_id=branch_id, field="manager_id")
    clock = start_clock(
        owner_type="prospect",
        owner_id=prospect_id,
        kind=ClockKind.PROSPECT_FOLLOW_UP,
        branch_id=branch_id,
        received_at=now,
        calendar=calendar_for(now),
        rules=rules.sla(),
        assignee=manager_id,
        manager_id=manager_id,
    )
    prospect = Prospect(
        prospect_id=prospect_id,
        name=name,
        phone=phone,
        source=source,
        branch_id=branch_id,
        manager_id=manager_id,
        status=ProspectStatus.OPEN,
        follow_up_due_at=clock.due_at,
        deadline_provisional=clock.provisional,
        recorded_by=grant.identity.user_id,
        recorded_at=now,
    )
    return replace(prospect, version=prospect_data.create(prospect, clock))


def find(grant: Grant, prospect_id: str) -> Prospect:
    prospect = prospect_data.get(prospect_id)
    if prospect is None:
        raise NotFound(f"no prospect {prospect_id}", field="prospect_id")
    grant.require(branch_id=prospect.branch_id, manager_id=prospect.manager_id, what=f"prospect {prospect_id}")
    return prospect


def settle(
    grant: Grant,
    prospect_id: str,
    outcome: ProspectOutcome,
    *,
    client_id: str | None,
    reason: str | None,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> Prospect:
    """Converted (to a client of the prospect's branch) or dropped; the follow-up clock stops."""
    prospect = find(grant, prospect_id)
    require_version(expected_version, prospect.version, what=f"prospect {prospect_id}")
    decided = decide(prospect, outcome, client_id=client_id, reason=reason, by=grant.identity.user_id, at=now)
    if client_id is not None:
        client = client_data.get(client_id)
        if client is None:
            raise NotFound(f"no client {client_id}", field="client_id")
        grant.require(branch_id=client.branch_id, manager_id=client.manager_id, what=f"client {client_id}")
    running = [clock for clock in clock_data.clocks_of("prospect", prospect_id) if clock.is_open]
    prospect_data.decide(prospect, decided, running)
    return find(grant, prospect_id)


def listing(
    grant: Grant,
    *,
    branch_id: str | None,
    statuses: Collection[ProspectStatus] | None,
    client_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Prospect], str | None]:
    """A branch's prospects; `client_id`: the one converted to that client."""
    return prospect_data.for_branch(
        grant.listing_branch(branch_id),
        statuses=statuses,
        client_id=client_id,
        manager_id=grant.manager_filter(),
        limit=limit,
        cursor=cursor,
    )
