"""Account transfer and closure retention (转户/销户, Part 5; DOMAIN §6), and who is at risk of
leaving (第50条 10; DOMAIN §5).

A transfer (to another broker) or closure request opens a case: kind, reason, the retention
actions taken (who, when, what) and one final outcome: `retained`, `transferred` or `closed`.
Retention never blocks a client from leaving: the case records, it does not refuse, and an
outcome of `transferred` or `closed` is always accepted. The client then carries that status.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from crm.domain.classification import YearMetrics
from crm.domain.client import Client, ClientStatus
from crm.errors import Conflict


class CaseKind(StrEnum):
    TRANSFER = "transfer"  # 转户: to another broker
    CLOSURE = "closure"  # 销户


class Reason(StrEnum):
    FEES = "fees"
    SERVICE = "service"
    MOVING = "moving"
    PERFORMANCE = "performance"
    OTHER = "other"


class Outcome(StrEnum):
    RETAINED = "retained"
    TRANSFERRED = "transferred"
    CLOSED = "closed"


class CaseStatus(StrEnum):
    OPEN = "open"
    RETAINED = "retained"
    TRANSFERRED = "transferred"
    CLOSED = "closed"


CLIENT_STATUS_AFTER = {
    Outcome.RETAINED: ClientStatus.ACTIVE,
    Outcome.TRANSFERRED: ClientStatus.TRANSFERRED,
    Outcome.CLOSED: ClientStatus.CLOSED,
}
MAX_ACTIONS = 200  # a case is worked by a few people over days, not by a script


@dataclass(frozen=True)
class RetentionAction:
    action: str
    note: str | None
    by: str
    at: datetime


@dataclass(frozen=True)
class RetentionCase:
    case_id: str
    client_id: str
    branch_id: str
    manager_id: str
    kind: CaseKind
    reason: Reason
    note: str | None
    status: CaseStatus
    opened_at: datetime
    opened_by: str
    actions: tuple[RetentionAction, ...] = ()
    decided_at: datetime | None = None
    decided_by: str | None = None
    outcome_note: str | None = None
    version: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN


def open_case(
    client: Client, *, case_id: str, kind: CaseKind, reason: Reason, note: str | None, by: str, at: datetime
) -> RetentionCase:
    """A request to leave opens a case; a client that has left has nothing left to retain (one
    open case per client is held by the data layer, atomically with the client's record)."""
    if client.status is not ClientStatus.ACTIVE:
        raise Conflict(f"client {client.client_id} is {client.status}; there is nothing to retain", field="client_id")
    return RetentionCase(
        case_id=case_id,
        client_id=client.client_id,
        branch_id=client.branch_id,
        manager_id=client.manager_id,
        kind=kind,
        reason=reason,
        note=note,
        status=CaseStatus.OPEN,
        opened_at=at,
        opened_by=by,
    )


def add_action(case: RetentionCase, action: RetentionAction) -> RetentionCase:
    if not case.is_open:
        raise Conflict(f"case {case.case_id} was decided ({case.status}); it takes no more actions", field="case_id")
    if len(case.actions) >= MAX_ACTIONS:
        raise Conflict(f"case {case.case_id} holds {MAX_ACTIONS} actions already", field="action")
    return replace(case, actions=(*case.actions, action))


def decide(case: RetentionCase, outcome: Outcome, *, note: str | None, by: str, at: datetime) -> RetentionCase:
    """The one final outcome; leaving is never refused (only a second decision is)."""
    if not case.is_open:
        raise Conflict(f"case {case.case_id} was decided already ({case.status})", field="outcome")
    return replace(case, status=CaseStatus(outcome.value), decided_at=at, decided_by=by, outcome_note=note)


class AtRiskReason(StrEnum):
    ASSETS_FELL = "assets_fell"  # year-end assets at most half of the year before's
    TRANSFER_REQUESTED = "transfer_requested"
    CLOSURE_REQUESTED = "closure_requested"


def assets_fell(latest: YearMetrics | None, previous: YearMetrics | None, drop: Decimal) -> bool:
    """Year-end assets fell by at least `drop` (a share) from the year before (第50条 10)."""
    if latest is None or previous is None or latest.year != previous.year + 1 or previous.assets <= 0:
        return False
    return latest.assets <= previous.assets * (1 - drop)


def request_reason(kind: CaseKind) -> AtRiskReason:
    return AtRiskReason.TRANSFER_REQUESTED if kind is CaseKind.TRANSFER else AtRiskReason.CLOSURE_REQUESTED


def at_risk_reasons(client: Client) -> tuple[AtRiskReason, ...]:
    """Why a client is on its branch's at-risk list (none once it has left)."""
    if client.status is not ClientStatus.ACTIVE:
        return ()
    reasons = []
    if client.assets_fell_in is not None:
        reasons.append(AtRiskReason.ASSETS_FELL)
    if client.open_case_kind is not None:
        reasons.append(request_reason(CaseKind(client.open_case_kind)))
    return tuple(reasons)
