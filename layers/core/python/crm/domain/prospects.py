"""Prospective clients (第32条; DOMAIN §8): from appointment bookings, referrals, walk-ins and the
web, each with a follow-up due at the end of the next working day — an SLA clock like any other
(a breach escalates) — until it is converted to a client or dropped, with the reason."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from crm.errors import Conflict, InvalidInput


class Source(StrEnum):
    APPOINTMENT = "appointment"  # 预约开户
    REFERRAL = "referral"
    WALK_IN = "walk_in"
    WEB = "web"


class ProspectOutcome(StrEnum):
    CONVERTED = "converted"
    DROPPED = "dropped"


class ProspectStatus(StrEnum):
    OPEN = "open"
    CONVERTED = "converted"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Prospect:
    prospect_id: str
    name: str
    phone: str
    source: Source
    branch_id: str
    manager_id: str
    status: ProspectStatus
    follow_up_due_at: datetime
    deadline_provisional: bool
    recorded_by: str
    recorded_at: datetime
    client_id: str | None = None  # converted: the client it became
    reason: str | None = None  # dropped: why
    decided_by: str | None = None
    decided_at: datetime | None = None
    version: int | None = None


def decide(
    prospect: Prospect,
    outcome: ProspectOutcome,
    *,
    client_id: str | None,
    reason: str | None,
    by: str,
    at: datetime,
) -> Prospect:
    """Converted (naming the client it became) or dropped (saying why), once."""
    if prospect.status is not ProspectStatus.OPEN:
        raise Conflict(f"prospect {prospect.prospect_id} is {prospect.status} already", field="outcome")
    if outcome is ProspectOutcome.CONVERTED and not client_id:
        raise InvalidInput("a converted prospect names the client it became", field="client_id")
    if outcome is ProspectOutcome.DROPPED and not reason:
        raise InvalidInput("a dropped prospect says why", field="reason")
    if outcome is ProspectOutcome.DROPPED and client_id:
        raise InvalidInput("a dropped prospect became no client", field="client_id")
    return replace(
        prospect,
        status=ProspectStatus(outcome.value),
        client_id=client_id,
        reason=reason,
        decided_by=by,
        decided_at=at,
    )
