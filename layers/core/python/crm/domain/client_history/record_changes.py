"""Changes of a client's record made by people: its manager (第50条 2), its phone or e-mail (第35–36条)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ManagerAssignment:
    client_id: str
    manager_id: str
    previous_manager_id: str | None
    by: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ContactDetailsChange:
    """A change of a client's phone or e-mail, with its evidence (第35–36条: e.g. the recording id)."""

    client_id: str
    phone_before: str
    phone_after: str
    email_before: str | None
    email_after: str | None
    evidence_ref: str
    reason: str | None
    by: str
    at: datetime
