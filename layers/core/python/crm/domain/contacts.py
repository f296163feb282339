"""Client contacts: inquiries, visits, SMS and e-mail (Part 2; DOMAIN §3).

Every inquiry is logged (第31条). 首问负责制: the first person to take an inquiry owns it until
the client has an answer (第31条, 第47条). An inquiry taken outside working hours is followed up
on the next working day (第29条 1). An e-mail inquiry is answered the same day in principle and
at most two working days after receipt (第36条).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm.domain.access import Identity, Role
from crm.domain.calendar import WorkingCalendar
from crm.domain.sla import Clock, ClockKind, SlaRules, start_clock
from crm.domain.time import beijing
from crm.errors import Conflict, Forbidden


class ContactChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    ONSITE = "onsite"
    VISIT = "visit"
    SMS = "sms"


class ContactStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


@dataclass(frozen=True)
class Contact:
    contact_id: str
    client_id: str
    branch_id: str
    channel: ContactChannel
    subject: str
    received_at: datetime
    recorded_by: str
    first_responder: str  # owns the inquiry until it is answered (首问负责制)
    manager_id: str  # the client's manager when the inquiry was taken
    status: ContactStatus
    outside_working_hours: bool
    reply_due_at: datetime | None
    follow_up_due_at: datetime | None
    deadline_provisional: bool
    answer: str | None = None
    replied_at: datetime | None = None
    replied_by: str | None = None
    replied_same_day: bool | None = None
    version: int | None = None


def open_clocks(contact: Contact, calendar: WorkingCalendar, rules: SlaRules) -> list[Clock]:
    """The deadlines an inquiry starts: the e-mail reply (第36条), the next-day follow-up (第29条)."""
    kinds = []
    if contact.channel is ContactChannel.EMAIL:
        kinds.append(ClockKind.CONTACT_REPLY)
    if contact.outside_working_hours:
        kinds.append(ClockKind.CONTACT_FOLLOW_UP)
    return [
        start_clock(
            owner_type="contact",
            owner_id=contact.contact_id,
            kind=kind,
            branch_id=contact.branch_id,
            received_at=contact.received_at,
            calendar=calendar,
            rules=rules,
            assignee=contact.first_responder,
            manager_id=contact.manager_id,
        )
        for kind in kinds
    ]


def outside_working_hours(received_at: datetime, calendar: WorkingCalendar, rules: SlaRules) -> bool:
    start, end = rules.working_hours
    return not calendar.within_working_hours(received_at, start, end)


def check_reply(contact: Contact, actor: Identity) -> None:
    """Only the owner answers, or the branch supervisor stepping in."""
    if contact.status is ContactStatus.ANSWERED:
        raise Conflict(f"inquiry {contact.contact_id} is already answered", field="contact_id")
    if actor.user_id != contact.first_responder and actor.role is not Role.SUPERVISOR:
        raise Forbidden(
            f"inquiry {contact.contact_id} belongs to its first responder {contact.first_responder} (首问负责制)",
            field="contact_id",
        )


def same_day(received_at: datetime, replied_at: datetime) -> bool:
    return beijing(received_at).date() == beijing(replied_at).date()
