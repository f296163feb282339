"""Request and response bodies of the prospect routes (第32条; DOMAIN §8)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from crm import rules
from crm.api.models import Identifier, Model, PersonName, Phone, Strict
from crm.domain.access import Role
from crm.domain.pii import mask_phone
from crm.domain.prospects import Prospect, ProspectOutcome, ProspectStatus, Source


class NewProspect(Strict):
    name: PersonName
    phone: Phone
    source: Source = Field(description="appointment (预约), referral, walk_in or web")
    branch_id: Identifier
    manager_id: Identifier = Field(description="Who follows it up")


class ProspectOutcomeIn(Strict):
    outcome: ProspectOutcome
    client_id: Identifier | None = Field(default=None, description="converted: the client it became")
    reason: str | None = Field(default=None, max_length=2000, description="dropped: why")


class ProspectOut(Model):
    prospect_id: str
    name: str
    phone: str = Field(description="Masked unless the caller's role needs it")
    source: Source
    branch_id: str
    manager_id: str
    status: ProspectStatus
    follow_up_due_at: datetime = Field(description="The end of the next working day after it was recorded")
    deadline_provisional: bool
    recorded_by: str
    recorded_at: datetime
    client_id: str | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, prospect: Prospect, role: Role) -> ProspectOut:
        phone = prospect.phone if rules.access().sees_pii(role) else mask_phone(prospect.phone)
        fields = {name: getattr(prospect, name) for name in cls.model_fields if name != "phone"}
        return cls(**fields, phone=phone)


class ProspectPage(Model):
    items: list[ProspectOut]
    next_cursor: str | None
