"""Logging and answering client inquiries (第29条, 第31条, 第36条, 第47条)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from crm import rules
from crm.data import clocks as clock_data
from crm.data import contacts as contact_data
from crm.domain.access import Grant
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.contacts import (
    Contact,
    ContactChannel,
    ContactStatus,
    check_reply,
    open_clocks,
    outside_working_hours,
    same_day,
)
from crm.domain.sla import ClockKind
from crm.domain.time import receipt_time
from crm.errors import NotFound
from crm.services import staff_references as staff
from crm.services.calendar import calendar_for
from crm.services.client_lookup import find as find_client


def log_inquiry(
    grant: Grant,
    *,
    client_id: str,
    channel: ContactChannel,
    subject: str,
    first_responder: str,
    received_at: datetime | None,
    now: datetime,
    contact_id: str,
) -> Contact:
    client = find_client(grant, client_id)
    staff.require(first_responder, roles=staff.BRANCH_STAFF, branch_id=client.branch_id, field="first_responder")
    received = receipt_time(received_at, now)
    sla = rules.sla()
    calendar = calendar_for(received)
    contact = Contact(
        contact_id=contact_id,
        client_id=client_id,
        branch_id=client.branch_id,
        channel=channel,
        subject=subject,
        received_at=received,
        recorded_by=grant.identity.user_id,
        first_responder=first_responder,
        manager_id=client.manager_id,
        status=ContactStatus.OPEN,
        outside_working_hours=outside_working_hours(received, calendar, sla),
        reply_due_at=None,
        follow_up_due_at=None,
        deadline_provisional=False,
    )
    clocks = open_clocks(contact, calendar, sla)
    due = {clock.kind: clock.due_at for clock in clocks}
    contact = replace(
        contact,
        reply_due_at=due.get(ClockKind.CONTACT_REPLY),
        follow_up_due_at=due.get(ClockKind.CONTACT_FOLLOW_UP),
        deadline_provisional=any(clock.provisional for clock in clocks),
    )
    return replace(contact, version=contact_data.create(contact, clocks, at=now))


def find(grant: Grant, contact_id: str) -> Contact:
    contact = contact_data.get(contact_id)
    if contact is None:
        raise NotFound(f"no inquiry {contact_id}", field="contact_id")
    # A manager sees the inquiries about its own clients, and those it took itself (首问负责制).
    took_it = contact.first_responder == grant.identity.user_id
    manager = contact.first_responder if took_it else contact.manager_id
    grant.require(branch_id=contact.branch_id, manager_id=manager, what=f"inquiry {contact_id}")
    return contact


def reply(
    grant: Grant, contact_id: str, answer: str, *, now: datetime, expected_version: ExpectedVersion | None = None
) -> Contact:
    """The owner answers; the inquiry's clocks stop (late: the SLA stream handler records it)."""
    contact = find(grant, contact_id)
    require_version(expected_version, contact.version, what=f"inquiry {contact_id}")
    check_reply(contact, grant.identity)
    answered = replace(
        contact,
        status=ContactStatus.ANSWERED,
        answer=answer,
        replied_at=now,
        replied_by=grant.identity.user_id,
        replied_same_day=same_day(contact.received_at, now),
    )
    running = [clock for clock in clock_data.clocks_of("contact", contact_id) if clock.is_open]
    contact_data.answer(contact, answered, running, now)
    return replace(answered, version=(contact.version or 0) + 1)


def listing(
    grant: Grant,
    *,
    branch_id: str | None,
    client_id: str | None,
    statuses: Collection[ContactStatus] | None,
    owner: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Contact], str | None]:
    return contact_data.for_branch(
        grant.listing_branch(branch_id),
        client_id=client_id,
        statuses=statuses,
        owner=owner,
        managed_or_taken_by=grant.manager_filter(),
        limit=limit,
        cursor=cursor,
    )
