"""Request and response bodies of the client routes (API.md «Resources»)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from crm import rules
from crm.api.models import Identifier, Model, PersonName, Phone, Strict
from crm.domain.access import Role
from crm.domain.assessment import assessment_expiry
from crm.domain.classification import ClientClass
from crm.domain.client import Client, ClientStatus
from crm.domain.client_history.record_changes import ContactDetailsChange, ManagerAssignment
from crm.domain.messages import MessageRecord, MessageStatus
from crm.domain.person import Exchange, SecuritiesAccount
from crm.domain.pii import id_number_problem, mask_id_number, mask_phone
from crm.domain.retention import AtRiskReason
from crm.domain.risk_level import RiskLevel


def _valid_id_number(value: str) -> str:
    value = value.upper()
    problem = id_number_problem(value)
    if problem:
        raise ValueError(f"the ID number {problem}")
    return value


IdNumber = Annotated[str, Field(min_length=18, max_length=18), AfterValidator(_valid_id_number)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class NewClient(Strict):
    client_id: Identifier = Field(description="The brokerage's account number (资金账号)")
    name: PersonName
    id_number: IdNumber = Field(description="18-digit resident ID number (GB 11643)")
    phone: Phone
    email: Email | None = None
    birthday: date | None = None
    branch_id: Identifier
    manager_id: Identifier = Field(description="The one client manager of this client (第50条 2)")
    opened_on: date


class SecuritiesAccountOut(Model):
    exchange: Exchange = Field(description="SH 上海, SZ 深圳")
    account: str

    @classmethod
    def of(cls, account: SecuritiesAccount) -> SecuritiesAccountOut:
        return cls(exchange=account.exchange, account=account.account)


class SecuritiesAccountIn(Strict):
    exchange: Exchange = Field(description="SH 上海, SZ 深圳")
    account: str = Field(min_length=1, max_length=20, description="Shanghai A + 9 digits, Shenzhen 0 + 9 digits")


class SecuritiesAccountsIn(Strict):
    accounts: list[SecuritiesAccountIn] = Field(max_length=20, description="Every securities account it names")

    def named(self) -> list[SecuritiesAccount]:
        return [SecuritiesAccount(given.exchange, given.account) for given in self.accounts]


class ClientOut(Model):
    client_id: str
    name: str
    id_number: str = Field(description="Masked unless the caller's role needs it, and for every role once restricted")
    phone: str = Field(description="Masked unless the caller's role needs it, and for every role once restricted")
    email: str | None
    birthday: date | None
    branch_id: str
    manager_id: str
    opened_on: date
    client_class: ClientClass | None = Field(description="Its class (第5–6条); null before any metrics")
    risk_level: RiskLevel | None
    risk_score: int | None
    risk_assessed_at: datetime | None
    risk_assessment_expires_at: datetime | None = Field(
        description="The assessment is valid until then; afterwards the client matches no product"
    )
    risk_assessment_expired: bool
    vip: bool
    status: ClientStatus = Field(
        description="active; transferred (转户) or closed (销户) once a retention case decides so"
    )
    created_at: datetime
    securities_accounts: list[SecuritiesAccountOut] = Field(description="The securities accounts (证券账号) it names")
    same_person: list[str] | None = Field(
        default=None,
        description="The person's other fund accounts in the caller's scope (DOMAIN §12); in lists: null",
    )
    restricted: bool = Field(
        description="Every account of the person is closed or transferred (PIPL 第47条): its numbers masked for "
        "every role, out of lookups and lists; the access export (personal-information) still holds them"
    )

    @classmethod
    def of(cls, client: Client, role: Role, now: datetime, *, same_person: list[str] | None = None) -> ClientOut:
        full = rules.access().sees_pii(role) and not client.restricted
        expires = (
            assessment_expiry(client.risk_assessed_at, rules.assessment_valid_years())
            if client.risk_assessed_at
            else None
        )
        return cls(
            client_id=client.client_id,
            name=client.name,
            id_number=client.id_number if full else mask_id_number(client.id_number),
            phone=client.phone if full else mask_phone(client.phone),
            email=client.email,
            birthday=client.birthday,
            branch_id=client.branch_id,
            manager_id=client.manager_id,
            opened_on=client.opened_on,
            client_class=client.client_class,
            risk_level=client.risk_level,
            risk_score=client.risk_score,
            risk_assessed_at=client.risk_assessed_at,
            risk_assessment_expires_at=expires,
            risk_assessment_expired=expires is not None and now >= expires,
            vip=client.vip,
            status=client.status,
            created_at=client.created_at,
            securities_accounts=[SecuritiesAccountOut.of(account) for account in client.securities_accounts],
            same_person=same_person,
            restricted=client.restricted,
        )


class ClientPage(Model):
    items: list[ClientOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class Reassignment(Strict):
    manager_id: Identifier
    reason: str = Field(min_length=1, max_length=500, description="Why the client changes manager (留痕)")


class ManagerAssignmentOut(Model):
    manager_id: str
    previous_manager_id: str | None
    by: str
    reason: str
    at: datetime

    @classmethod
    def of(cls, assignment: ManagerAssignment) -> ManagerAssignmentOut:
        return cls(
            manager_id=assignment.manager_id,
            previous_manager_id=assignment.previous_manager_id,
            by=assignment.by,
            reason=assignment.reason,
            at=assignment.at,
        )


class ManagerHistory(Model):
    items: list[ManagerAssignmentOut] = Field(description="Newest first")


class ContactDetails(Strict):
    phone: Phone | None = None
    email: Email | None = None
    name: PersonName | None = None
    birthday: date | None = None
    evidence_ref: str = Field(
        min_length=1, max_length=200, description="What the change rests on, e.g. a call-recording id (第35条)"
    )
    reason: str | None = Field(default=None, max_length=500)


class ContactDetailsChangeOut(Model):
    phone_before: str
    phone_after: str
    email_before: str | None
    email_after: str | None
    name_before: str | None
    name_after: str | None
    birthday_before: date | None
    birthday_after: date | None
    made_on: str | None = Field(description="The fund account the change was asked on (made on all the person's)")
    evidence_ref: str
    reason: str | None
    by: str
    at: datetime

    @classmethod
    def of(cls, change: ContactDetailsChange, role: Role) -> ContactDetailsChangeOut:
        shown = (lambda phone: phone) if rules.access().sees_pii(role) else mask_phone
        return cls(
            phone_before=shown(change.phone_before),
            phone_after=shown(change.phone_after),
            email_before=change.email_before,
            email_after=change.email_after,
            name_before=change.name_before,
            name_after=change.name_after,
            birthday_before=change.birthday_before,
            birthday_after=change.birthday_after,
            made_on=change.made_on,
            evidence_ref=change.evidence_ref,
            reason=change.reason,
            by=change.by,
            at=change.at,
        )


class ContactDetailsHistory(Model):
    items: list[ContactDetailsChangeOut] = Field(description="Newest first")


class AtRiskClient(Model):
    client_id: str
    branch_id: str
    manager_id: str
    reasons: list[AtRiskReason] = Field(
        description="assets_fell: year-end assets at most half the year before's; transfer_requested or "
        "closure_requested: an open retention case"
    )
    assets_fell_in: int | None = Field(description="The year whose assets fell")
    open_case_id: str | None


class AtRiskPage(Model):
    items: list[AtRiskClient]
    next_cursor: str | None

    @classmethod
    def of(cls, found: list[tuple[Client, tuple[AtRiskReason, ...]]], next_cursor: str | None) -> AtRiskPage:
        return cls(
            items=[
                AtRiskClient(
                    client_id=client.client_id,
                    branch_id=client.branch_id,
                    manager_id=client.manager_id,
                    reasons=list(reasons),
                    assets_fell_in=client.assets_fell_in,
                    open_case_id=client.open_case_id,
                )
                for client, reasons in found
            ],
            next_cursor=next_cursor,
        )


class MessageOut(Model):
    message_id: str
    template: str = Field(description="The template of rules/sms.toml it was sent from")
    status: MessageStatus = Field(description="sent; not_sent, with the reason; pending while it is being sent")
    sent_at: datetime
    phone: str = Field(description="Masked, always")
    reason: str | None


class MessageList(Model):
    items: list[MessageOut] = Field(description="Newest first")

    @classmethod
    def of(cls, records: list[MessageRecord]) -> MessageList:
        return cls(
            items=[
                MessageOut(
                    message_id=r.message_id,
                    template=r.template,
                    status=r.status,
                    sent_at=r.at,
                    phone=r.phone_masked,
                    reason=r.reason,
                )
                for r in records
            ]
        )


# A client's histories one page at a time (API.md «Lists»): each list above with its next cursor.


class ManagerHistoryPage(ManagerHistory):
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class ContactDetailsHistoryPage(ContactDetailsHistory):
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class MessagePage(MessageList):
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")

    @classmethod
    def of_page(cls, records: list[MessageRecord], next_cursor: str | None) -> MessagePage:
        return cls(items=MessageList.of(records).items, next_cursor=next_cursor)
