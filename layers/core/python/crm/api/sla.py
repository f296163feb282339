"""Response bodies of the SLA routes: breach records per branch."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crm.domain.sla import Breach, ClockKind


class BreachOut(BaseModel):
    owner_type: str
    owner_id: str
    clock: ClockKind
    branch_id: str
    due_at: datetime
    detected_at: datetime
    met_at: datetime | None
    assignee: str | None

    @classmethod
    def of(cls, breach: Breach) -> BreachOut:
        return cls(
            owner_type=breach.owner_type,
            owner_id=breach.owner_id,
            clock=breach.kind,
            branch_id=breach.branch_id,
            due_at=breach.due_at,
            detected_at=breach.detected_at,
            met_at=breach.met_at,
            assignee=breach.assignee,
        )


class BreachPage(BaseModel):
    items: list[BreachOut]
    next_cursor: str | None
