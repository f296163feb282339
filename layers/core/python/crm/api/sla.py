"""Response bodies of the SLA routes: breach records per branch."""

from __future__ import annotations

from datetime import datetime

from crm.api.models import Model
from crm.domain.sla import Breach, ClockKind


class BreachOut(Model):
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


class BreachPage(Model):
    items: list[BreachOut]
    next_cursor: str | None
