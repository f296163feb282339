"""The body of a person's work for a day (DOMAIN §12 «My work»)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from crm.api.models import Model
from crm.domain.work import WorkItem, WorkKind


class WorkItemOut(Model):
    kind: WorkKind = Field(description="What is to be done; with `id`, the record to open")
    id: str = Field(
        description="callback: the callback id; contact_reply: the contact id; complaint_*: the complaint "
        "number; prospect_follow_up: the prospect id; work_log_missing: the day (YYYY-MM-DD)"
    )
    client_id: str | None
    due_at: datetime
    overdue: bool = Field(description="Its deadline has passed")

    @classmethod
    def of(cls, work: WorkItem) -> WorkItemOut:
        return cls(kind=work.kind, id=work.id, client_id=work.client_id, due_at=work.due_at, overdue=work.overdue)


class WorkList(Model):
    date: date
    items: list[WorkItemOut] = Field(description="Due first, overdue flagged")
    counts: dict[WorkKind, int] = Field(description="How many of each kind")
