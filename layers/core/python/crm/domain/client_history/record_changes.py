"""Changes of a client's record made by people: its manager (第50条 2), its phone or e-mail (第35–36条)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
    """A change of the person's key information — name, phone, e-mail, birthday — on one of its
    accounts, with its evidence (第35–36条: e.g. the recording id). Made on every account of the
    person at once (DOMAIN §12): `made_on` names the account it was asked on."""

    client_id: str
    phone_before: str
    phone_after: str
    email_before: str | None
    email_after: str | None
    evidence_ref: str
    reason: str | None
    by: str
    at: datetime
    name_before: str | None = None  # None on the record: a change before names were kept in it
    name_after: str | None = None
    birthday_before: date | None = None
    birthday_after: date | None = None
    made_on: str | None = None
