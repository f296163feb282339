"""The body of a person's information on request (PIPL 第45条; DOMAIN §14): one document with
everything held about the person, every account (crm.services.personal_information says what is
read and how).

The one place ID and phone numbers are shown in clear whatever the role and whether or not the
person is restricted (第47条): the person asked for them. So the client record and its contact
details history are built here, in clear, rather than from the masking models of the client routes;
the other records reuse the routes' own models, which mask nothing. The SMS log keeps only the
masked phone it was sent to (crm.data.clients.messages), so that is what it shows.

Every list is in a stated order, so one export reads the same twice: accounts newest opened first;
histories as their own routes give them (newest first); lists from an index by client in the
index's order (oldest first); work log entries by day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from crm.api.activity import VisitOut
from crm.api.callbacks import CallbackDetail
from crm.api.client_metrics import ClassBasisOut, ClassChangeOut, MetricsOut, VipChangeOut
from crm.api.clients import (
    ContactDetailsChangeOut,
    ManagerAssignmentOut,
    MessageList,
    MessageOut,
    SecuritiesAccountOut,
)
from crm.api.complaints import ComplaintOut
from crm.api.contacts import ContactOut
from crm.api.education import AttendedOut
from crm.api.models import Model
from crm.api.profiles import ProfileChangeOut, ProfileValues
from crm.api.questionnaires import AssessmentOut
from crm.api.retention import CaseOut
from crm.api.suitability import BusinessOut, DisclosureOut, SaleOut
from crm.domain.activity import EntryKind
from crm.domain.audit import AuditEntry
from crm.domain.classification import ClientClass
from crm.domain.client import Client, ClientStatus
from crm.domain.client_history.record_changes import ContactDetailsChange
from crm.domain.risk_level import RiskLevel
from crm.services.personal_information import AccountRecords, LoggedWork, PersonalInformation


class PersonOut(Model):
    name: str
    id_number: str = Field(description="In clear")
    phone: str = Field(description="In clear")
    email: str | None
    birthday: date | None
    restricted: bool = Field(
        description="Every account closed or transferred: processing restricted (PIPL 第47条), nothing deleted"
    )


class ClientRecordOut(Model):
    """The client record (一户一档) of one fund account, in clear."""

    client_id: str = Field(description="The fund account (资金账号)")
    name: str
    id_number: str = Field(description="In clear")
    phone: str = Field(description="In clear")
    email: str | None
    birthday: date | None
    branch_id: str
    manager_id: str = Field(description="Its manager now")
    opened_on: date
    status: ClientStatus
    client_class: ClientClass | None
    class_basis: ClassBasisOut | None = Field(description="What its class was computed from")
    first_classified_at: datetime | None
    vip: bool
    vip_target: bool = Field(description="On its branch's cultivation list")
    risk_level: RiskLevel | None
    risk_score: int | None
    risk_assessed_at: datetime | None
    profile: ProfileValues = Field(description="Its manager's profile of it now (第9–11条)")
    securities_accounts: list[SecuritiesAccountOut] = Field(description="The securities accounts (证券账号) it names")
    open_case_id: str | None = Field(description="A transfer or closure request being handled")
    assets_fell_in: int | None = Field(description="The year its assets fell by the at-risk share, if any")
    created_at: datetime
    created_by: str
    changed_at: datetime | None = Field(description="When the record last changed")

    @classmethod
    def of(cls, client: Client) -> ClientRecordOut:
        basis = client.class_basis
        return cls(
            client_id=client.client_id,
            name=client.name,
            id_number=client.id_number,
            phone=client.phone,
            email=client.email,
            birthday=client.birthday,
            branch_id=client.branch_id,
            manager_id=client.manager_id,
            opened_on=client.opened_on,
            status=client.status,
            client_class=ClientClass(client.client_class) if client.client_class else None,
            class_basis=ClassBasisOut(
                metrics_year=basis.metrics_year,
                turnover=basis.turnover,
                threshold=basis.threshold,
                threshold_version=basis.threshold_version,
                rules_version=basis.rules_version,
            )
            if basis
            else None,
            first_classified_at=client.first_classified_at,
            vip=client.vip,
            vip_target=client.vip_target,
            risk_level=client.risk_level,
            risk_score=client.risk_score,
            risk_assessed_at=client.risk_assessed_at,
            profile=ProfileValues.of(client.profile),
            securities_accounts=[SecuritiesAccountOut.of(a) for a in client.securities_accounts],
            open_case_id=client.open_case_id,
            assets_fell_in=client.assets_fell_in,
            created_at=client.created_at,
            created_by=client.created_by,
            changed_at=client.changed_at,
        )


class ContactDetailsChangeClear(ContactDetailsChangeOut):
    """A change of the person's key information, as made on this account, in clear."""

    @classmethod
    def in_clear(cls, change: ContactDetailsChange) -> ContactDetailsChangeClear:
        return cls(**{name: getattr(change, name) for name in cls.model_fields})


class WorkLogEntryOut(Model):
    """An entry of a manager's work log that names the client (第52–54条)."""

    manager_id: str
    day: date
    kind: EntryKind
    minutes: int
    note: str | None
    written_by: str
    written_at: datetime
    amended_by: str | None = Field(description="The supervisor who amended the log after its window, if any")

    @classmethod
    def of(cls, logged: LoggedWork) -> WorkLogEntryOut:
        log, entry = logged.log, logged.entry
        return cls(
            manager_id=log.manager_id,
            day=log.day,
            kind=entry.kind,
            minutes=entry.minutes,
            note=entry.note,
            written_by=log.written_by,
            written_at=log.written_at,
            amended_by=log.amended_by,
        )


def _after(entry: AuditEntry) -> dict[str, Any]:
    return dict(entry.after)


class LookupOut(Model):
    """A lookup that found the account by ID number or phone (DOMAIN §12)."""

    at: datetime
    by: str | None = Field(description="Who looked")
    looked_up_by: str | None = Field(description="id_number or phone")
    value: str | None = Field(description="The number looked up, masked as the trail keeps it")
    found: list[str] = Field(description="The accounts that lookup found")

    @classmethod
    def of(cls, entry: AuditEntry) -> LookupOut:
        after = _after(entry)
        return cls(
            at=entry.at,
            by=entry.by,
            looked_up_by=after.get("looked_up_by"),
            value=after.get("value"),
            found=list(after.get("found") or []),
        )


class ExportOut(Model):
    """An earlier access export that covered the account (this one is recorded as it is given)."""

    at: datetime
    by: str | None = Field(description="Who produced it")
    role: str | None
    asked_on: str | None = Field(description="The account the request named")
    accounts: list[str] = Field(description="The accounts it covered")

    @classmethod
    def of(cls, entry: AuditEntry) -> ExportOut:
        after = _after(entry)
        return cls(
            at=entry.at,
            by=entry.by,
            role=after.get("role"),
            asked_on=after.get("asked_on"),
            accounts=list(after.get("accounts") or []),
        )


class AccountOut(Model):
    """Everything held about one fund account of the person."""

    client: ClientRecordOut
    metrics: list[MetricsOut] = Field(description="Yearly figures (第4–6条), newest year first")
    class_history: list[ClassChangeOut] = Field(description="Class changes, newest first")
    vip_history: list[VipChangeOut] = Field(description="VIP changes, newest first")
    manager_history: list[ManagerAssignmentOut] = Field(description="Changes of manager (第50条 2), newest first")
    contact_details_history: list[ContactDetailsChangeClear] = Field(
        description="Changes of name, phone, e-mail or birthday (第35–36条), newest first, in clear"
    )
    profile_history: list[ProfileChangeOut] = Field(description="Changes of its profile (第9–11条), newest first")
    questionnaires: list[AssessmentOut] = Field(
        description="Risk questionnaires with their answers (附件1), newest first"
    )
    disclosures: list[DisclosureOut] = Field(
        description="Signed risk disclosures, by business, newest first within each"
    )
    sales: list[SaleOut] = Field(description="Products sold (第8条 5), newest first")
    businesses: list[BusinessOut] = Field(description="High-risk businesses enabled, by business")
    messages: list[MessageOut] = Field(description="SMS sent or tried (第34–35条), newest first, the phone masked")
    contacts: list[ContactOut] = Field(description="Inquiries and their answers, newest first")
    complaints: list[ComplaintOut] = Field(description="Complaints with their history, newest first")
    retention_cases: list[CaseOut] = Field(description="Transfer and closure requests (转户/销户), newest first")
    callbacks: list[CallbackDetail] = Field(description="Callbacks (回访) with each attempt, by due date")
    visits: list[VisitOut] = Field(description="Visits naming it, oldest first")
    education: list[AttendedOut] = Field(description="Investor education it attended, oldest first")
    work_log_entries: list[WorkLogEntryOut] = Field(description="Managers' work log entries naming it, by day")
    lookups: list[LookupOut] = Field(description="Lookups by ID number or phone that found it, oldest first")
    exports: list[ExportOut] = Field(description="Earlier access exports covering it, oldest first")

    @classmethod
    def of(cls, records: AccountRecords) -> AccountOut:
        return cls(
            client=ClientRecordOut.of(records.client),
            metrics=[MetricsOut.of(m) for m in records.metrics],
            class_history=[ClassChangeOut.of(c) for c in records.class_history],
            vip_history=[VipChangeOut.of(c) for c in records.vip_history],
            manager_history=[ManagerAssignmentOut.of(a) for a in records.manager_history],
            contact_details_history=[ContactDetailsChangeClear.in_clear(c) for c in records.contact_details_history],
            profile_history=[ProfileChangeOut.of(c) for c in records.profile_history],
            questionnaires=[AssessmentOut.of(q) for q in records.questionnaires],
            disclosures=[DisclosureOut.of(d) for d in records.disclosures],
            sales=[SaleOut.of(s) for s in records.sales],
            businesses=[BusinessOut.of(b) for b in records.businesses],
            messages=MessageList.of(records.messages).items,
            contacts=[ContactOut.of(c) for c in records.contacts],
            complaints=[ComplaintOut.of(c, history) for c, history in records.complaints],
            retention_cases=[CaseOut.of(c) for c in records.retention_cases],
            callbacks=[CallbackDetail.detail(task, attempts) for task, attempts in records.callbacks],
            visits=[VisitOut.of(v) for v in records.visits],
            education=[AttendedOut.of(a) for a in records.education],
            work_log_entries=[WorkLogEntryOut.of(w) for w in records.work_logs],
            lookups=[LookupOut.of(e) for e in records.lookups],
            exports=[ExportOut.of(e) for e in records.exports],
        )


class PersonalInformationOut(Model):
    person: PersonOut = Field(description="The person's key information, the same on every account, in clear")
    generated_at: datetime = Field(description="The request's time")
    generated_by: str = Field(description="Who produced it (the export is in each account's audit trail)")
    accounts: list[AccountOut] = Field(
        description="Every fund account of the person, any branch, closed ones included; newest opened first"
    )

    @classmethod
    def of(cls, found: PersonalInformation) -> PersonalInformationOut:
        key = found.key
        return cls(
            person=PersonOut(
                name=key.name,
                id_number=found.id_number,
                phone=key.phone,
                email=key.email,
                birthday=key.birthday,
                restricted=found.restricted,
            ),
            generated_at=found.generated_at,
            generated_by=found.generated_by,
            accounts=[AccountOut.of(records) for records in found.accounts],
        )
