"""Complaint intake, numbering and moves (Part 8; complaint appendix; DOMAIN §4); the callback after
the reply is a callback task (crm.services.callbacks)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from crm import rules
from crm.data import clocks as clock_data
from crm.data import complaints as complaint_data
from crm.domain.access import Grant
from crm.domain.complaints import (
    Category,
    Channel,
    Complaint,
    Status,
    Transition,
    complaint_number,
    numbering_month,
    plan_transition,
    refuse_if_complained_about,
    refuse_implausible_receipt,
)
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.sla import Clock, ClockKind, start_clock
from crm.domain.time import receipt_time
from crm.errors import NotFound
from crm.services.calendar import calendar_for
from crm.services.client_lookup import find as find_client


@dataclass(frozen=True)
class Intake:
    client_id: str
    channel: Channel
    category: Category
    content: str
    received_at: datetime | None
    regulator_referral: bool
    referral_ref: str | None
    about_staff: tuple[str, ...]


def file(grant: Grant, intake: Intake, *, now: datetime) -> Complaint:
    """Take in a complaint: number, deadlines and first history entry in one atomic write.

    Everything that can refuse the complaint is checked before the number is taken, so a
    refused complaint consumes no number.
    """
    client = find_client(grant, intake.client_id)
    received = receipt_time(intake.received_at, now)
    refuse_implausible_receipt(
        received,
        now=now,
        opened_on=client.opened_on,
        max_days_back=rules.requests().limits.complaint_received_max_days_back,
    )
    draft = Complaint(
        complaint_no="",
        client_id=intake.client_id,
        branch_id=client.branch_id,
        channel=intake.channel,
        category=intake.category,
        content=intake.content,
        received_at=received,
        recorded_by=grant.identity.user_id,
        manager_id=client.manager_id,
        status=Status.RECEIVED,
        investigate_due_at=received,
        reply_due_at=received,
        deadline_provisional=False,
        regulator_referral=intake.regulator_referral or intake.channel is Channel.REGULATOR,
        referral_ref=intake.referral_ref,
        about_staff=intake.about_staff,
    )
    refuse_if_complained_about(draft, grant.identity)
    calendar, sla = calendar_for(received), rules.sla()

    def build(serial: int) -> tuple[Complaint, list[Clock], Transition]:
        number = complaint_number(received, serial)
        investigate, reply = (
            start_clock(
                owner_type="complaint",
                owner_id=number,
                kind=kind,
                branch_id=client.branch_id,
                received_at=received,
                calendar=calendar,
                rules=sla,
                assignee=None,
                manager_id=client.manager_id,
            )
            for kind in (ClockKind.COMPLAINT_INVESTIGATE, ClockKind.COMPLAINT_REPLY)
        )
        complaint = replace(
            draft,
            complaint_no=number,
            investigate_due_at=investigate.due_at,
            reply_due_at=reply.due_at,
            deadline_provisional=investigate.provisional or reply.provisional,
        )
        first = Transition(
            complaint_no=number,
            source=Status.RECEIVED,
            target=Status.RECEIVED,
            by=grant.identity.user_id,
            role=grant.identity.role,
            note="received",
            at=now,
        )
        return complaint, [investigate, reply], first

    return complaint_data.create_numbered(numbering_month(received), build)


def find(grant: Grant, complaint_no: str) -> tuple[Complaint, list[Transition]]:
    found = complaint_data.get(complaint_no)
    if found is None:
        raise NotFound(f"no complaint {complaint_no}", field="complaint_no")
    grant.require(branch_id=found[0].branch_id, manager_id=found[0].manager_id, what=f"complaint {complaint_no}")
    return found


def move(
    grant: Grant,
    complaint_no: str,
    target: Status,
    note: str,
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> tuple[Complaint, list[Transition]]:
    complaint, _ = find(grant, complaint_no)
    require_version(expected_version, complaint.version, what=f"complaint {complaint_no}")
    plan = plan_transition(complaint, target, grant.identity, note, now, rules.complaints())
    meeting = [c for c in clock_data.clocks_of("complaint", complaint_no) if c.is_open and c.kind in plan.stops]
    complaint_data.apply_transition(complaint, plan, meeting)
    return find(grant, complaint_no)


def listing(
    grant: Grant,
    *,
    branch_id: str | None,
    statuses: Collection[Status] | None,
    client_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Complaint], str | None]:
    return complaint_data.for_branch(
        grant.listing_branch(branch_id),
        statuses=statuses,
        client_id=client_id,
        manager_id=grant.manager_filter(),
        limit=limit,
        cursor=cursor,
    )
