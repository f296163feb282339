"""Request and response bodies of the contact routes (第29条, 第31条, 第36条)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from crm.api.models import Identifier, Model, Strict
from crm.domain.contacts import Contact, ContactChannel, ContactStatus


class NewContact(Strict):
    client_id: Identifier
    channel: ContactChannel
    subject: str = Field(min_length=1, max_length=2000)
    received_at: AwareDatetime | None = Field(
        default=None, description="When the client got in touch (ISO 8601 with offset); default: now"
    )
    first_responder: Identifier = Field(description="Who took the inquiry and owns it until answered (首问负责制)")


class ContactReply(Strict):
    answer: str = Field(min_length=1, max_length=5000)


class ContactOut(Model):
    contact_id: str
    client_id: str
    branch_id: str
    channel: ContactChannel
    subject: str
    received_at: datetime
    recorded_by: str
    first_responder: str
    status: ContactStatus
    outside_working_hours: bool
    reply_due_at: datetime | None = Field(description="E-mail inquiries: two working days after receipt (第36条)")
    follow_up_due_at: datetime | None = Field(description="Taken outside working hours: the next working day (第29条)")
    deadline_provisional: bool
    answer: str | None
    replied_at: datetime | None
    replied_by: str | None
    replied_same_day: bool | None

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls(**{name: getattr(contact, name) for name in cls.model_fields})


class ContactPage(Model):
    items: list[ContactOut]
    next_cursor: str | None
