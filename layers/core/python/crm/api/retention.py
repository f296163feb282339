"""Request and response bodies of the retention-case routes (DOMAIN §6)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm.api.models import Identifier, Model, Strict
from crm.domain.retention import CaseKind, CaseStatus, Outcome, Reason, RetentionCase


class NewCase(Strict):
    client_id: Identifier
    kind: CaseKind = Field(description="transfer (转户, to another broker) or closure (销户)")
    reason: Reason
    note: str | None = Field(default=None, max_length=2000)


class ActionIn(Strict):
    action: str = Field(min_length=1, max_length=200, description="What was done to keep the client")
    note: str | None = Field(default=None, max_length=2000)


class CaseOutcomeIn(Strict):
    outcome: Outcome = Field(description="Final; transferred and closed are always accepted")
    note: str | None = Field(default=None, max_length=2000)


class ActionOut(Model):
    action: str
    note: str | None
    by: str
    at: datetime


class CaseOut(Model):
    case_id: str
    client_id: str
    branch_id: str
    manager_id: str
    kind: CaseKind
    reason: Reason
    note: str | None
    status: CaseStatus = Field(description="open, then the outcome")
    actions: list[ActionOut] = Field(description="Retention actions, oldest first")
    opened_at: datetime
    opened_by: str
    decided_at: datetime | None
    decided_by: str | None
    outcome_note: str | None

    @classmethod
    def of(cls, case: RetentionCase) -> CaseOut:
        return cls(
            case_id=case.case_id,
            client_id=case.client_id,
            branch_id=case.branch_id,
            manager_id=case.manager_id,
            kind=case.kind,
            reason=case.reason,
            note=case.note,
            status=case.status,
            actions=[ActionOut(action=a.action, note=a.note, by=a.by, at=a.at) for a in case.actions],
            opened_at=case.opened_at,
            opened_by=case.opened_by,
            decided_at=case.decided_at,
            decided_by=case.decided_by,
            outcome_note=case.outcome_note,
        )


class CasePage(Model):
    items: list[CaseOut]
    next_cursor: str | None
