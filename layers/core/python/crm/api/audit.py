"""Response bodies of the audit routes (留痕)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from crm import rules
from crm.api.models import Model
from crm.domain.access import Role
from crm.domain.audit import AuditEntry
from crm.domain.pii import mask_pii


class AuditEntryOut(Model):
    at: datetime
    table: str
    key: dict[str, str]
    event: str = Field(description="INSERT, MODIFY or REMOVE")
    by: str | None
    reason: str | None
    evidence_ref: str | None
    before: dict[str, Any] = Field(description="The changed fields as they were (ID and phone masked by role)")
    after: dict[str, Any] = Field(description="The changed fields as they became")

    @classmethod
    def of(cls, entry: AuditEntry, role: Role) -> AuditEntryOut:
        shown = (lambda values: dict(values)) if rules.access().sees_pii(role) else mask_pii
        return cls(
            at=entry.at,
            table=entry.table,
            key=dict(entry.key),
            event=entry.event,
            by=entry.by,
            reason=entry.reason,
            evidence_ref=entry.evidence_ref,
            before=shown(dict(entry.before)),
            after=shown(dict(entry.after)),
        )


class AuditTrail(Model):
    items: list[AuditEntryOut] = Field(description="Newest first")
    next_cursor: str | None
