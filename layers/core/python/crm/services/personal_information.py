"""A person's information on request (PIPL 第45条: access and copy; DOMAIN §14): everything the
system holds about the person behind a client, every account of theirs, in one document, and the
request itself audited.

Whose: the person is found through the client's PERSON item (its keyed ID hash), which lists every
fund account the person ever opened, closed and transferred ones included, in whatever branch. The
right is the person's, so the document covers all of them: a supervisor asked at its branch
answers for the person's accounts at other branches too; the caller's scope is checked on the
client the request names (another branch's: 403; none: 404). The ID and phone numbers are in
clear, a restricted person's included (第47条 restricts processing, not the person's own access).

What, per account, and how each is read (keys and indexes only, every page to the end — never a
scan): the record; metrics, class and VIP history, manager and contact-details history, profile
history, questionnaires, disclosures, sales, businesses and SMS log from the client's item
collection; inquiries, complaints (with their history) and transfer/closure cases from the
service table's `by_client` index; callbacks from the callbacks table's `by_client` index, with
their attempts by key; visits and education attended from the activity table's `by_client`
index; the lookups of the client by ID number or phone (and earlier access exports) from the
client's partition of the audit table.

Work logs are in no index by client: they are read by key, manager by manager — each manager the
account ever had (its manager history names them and when each handed over), their logs from the
account's first day to the day that manager's time with it ended (today for the current one), and
the entries naming the client kept. A log entry names only the writer's own client at the time of
writing, and a log is never of a day to come, so this range holds every entry naming the client
(a wider one than the managers' periods alone: a supervisor may amend an older log later).

Left out: system bookkeeping that says nothing about the person (the callback schedule's entries,
SLA clocks and breach records, the aggregates' counters), and a prospect record the client was
converted from — no index holds prospects by client (only a branch-wide read would find one).

The export leaves one audit entry in each account's trail (who, when, which accounts — never a
number), appended to the audit table and written to the audit archive before the document goes
out: an export that could not be recorded is not given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crm.data import archive as archive_data
from crm.data import audit as audit_data
from crm.data import callbacks as callback_data
from crm.data import client_records
from crm.data import complaints as complaint_data
from crm.data import personal_information as activity_records
from crm.data.activity import work_logs
from crm.data.clients import changes as change_data
from crm.data.clients import history as history_data
from crm.data.clients import messages as message_data
from crm.data.clients import metrics as metrics_data
from crm.data.clients import person as person_data
from crm.data.clients import profiles as profile_data
from crm.data.clients import questionnaires as questionnaire_data
from crm.data.clients import records as client_data
from crm.data.clients import suitability as suitability_data
from crm.domain.access import Grant
from crm.domain.activity import LogEntry, Visit, WorkLog
from crm.domain.audit import AuditEntry
from crm.domain.callbacks import Attempt, CallbackTask
from crm.domain.client import Client, is_restricted
from crm.domain.client_history.class_changes import ClassChange, MetricsRecord, VipChange
from crm.domain.client_history.questionnaires import QuestionnaireRecord
from crm.domain.client_history.record_changes import ContactDetailsChange, ManagerAssignment
from crm.domain.complaints import Complaint, Transition
from crm.domain.contacts import Contact
from crm.domain.education import Attendance
from crm.domain.messages import MessageRecord
from crm.domain.person import KeyInformation
from crm.domain.profile import ProfileChange
from crm.domain.retention import RetentionCase
from crm.domain.suitability import Disclosure, EnabledBusiness, Sale
from crm.domain.time import beijing_date
from crm.errors import NotFound

LOOKUP = "LOOKUP"  # crm.domain.person.lookup_trail
EXPORT = "PERSONAL_INFORMATION"
EXPORT_TABLE = "personal_information"  # the audit entry's `table`, and the archive object's name
REASON = "access and copy at the person's request (PIPL 第45条)"


@dataclass(frozen=True)
class LoggedWork:
    """One entry of a manager's work log that names the client, with the log it is in."""

    log: WorkLog
    entry: LogEntry


@dataclass(frozen=True)
class AccountRecords:
    client: Client
    metrics: list[MetricsRecord]
    class_history: list[ClassChange]
    vip_history: list[VipChange]
    manager_history: list[ManagerAssignment]
    contact_details_history: list[ContactDetailsChange]
    profile_history: list[ProfileChange]
    questionnaires: list[QuestionnaireRecord]
    disclosures: list[Disclosure]
    sales: list[Sale]
    businesses: list[EnabledBusiness]
    messages: list[MessageRecord]
    contacts: list[Contact]
    complaints: list[tuple[Complaint, list[Transition]]]
    retention_cases: list[RetentionCase]
    callbacks: list[tuple[CallbackTask, list[Attempt]]]
    visits: list[Visit]
    education: list[Attendance]
    work_logs: list[LoggedWork]
    lookups: list[AuditEntry]
    exports: list[AuditEntry]


@dataclass(frozen=True)
class PersonalInformation:
    key: KeyInformation
    id_number: str
    restricted: bool
    generated_at: datetime
    generated_by: str
    accounts: list[AccountRecords]


def _person(client: Client) -> tuple[KeyInformation, list[Client]]:
    """The person's key information and every fund account of theirs, newest opened first (the
    client alone, with its own key information, when it has no PERSON item)."""
    person = person_data.get(person_data.id_hash(client))
    found = {c.client_id: c for c in person_data.accounts(person)} if person is not None else {}
    found.setdefault(client.client_id, client)
    key = person.key if person is not None else person_data.key_information(client)
    return key, sorted(found.values(), key=lambda c: (c.opened_on, c.client_id), reverse=True)


def _manager_spans(client: Client, history: list[ManagerAssignment], now: datetime) -> dict[str, date]:
    """Each manager the account ever had → the last day of its time with it (today for the current)."""
    handovers = sorted(history, key=lambda a: a.at)  # the history is newest first
    spans: dict[str, date] = {}
    first = handovers[0].previous_manager_id if handovers else None
    if first:
        spans[first] = beijing_date(handovers[0].at)
    for n, handover in enumerate(handovers):
        ended = beijing_date(handovers[n + 1].at) if n + 1 < len(handovers) else beijing_date(now)
        spans[handover.manager_id] = max(spans.get(handover.manager_id, ended), ended)
    spans[client.manager_id] = beijing_date(now)
    return spans


def _work_logs(client: Client, history: list[ManagerAssignment], now: datetime) -> list[LoggedWork]:
    """The entries naming the client in the logs of each manager it had (a key range each)."""
    first_day = min(client.opened_on, beijing_date(client.created_at))
    found = [
        LoggedWork(log, entry)
        for manager_id, last_day in sorted(_manager_spans(client, history, now).items())
        if first_day <= last_day
        for log in work_logs(manager_id, first_day, last_day)
        for entry in log.entries
        if entry.client_id == client.client_id
    ]
    return sorted(found, key=lambda w: (w.log.day, w.log.manager_id))


def _records(client: Client, now: datetime) -> AccountRecords:
    client_id = client.client_id
    managers = change_data.manager_history(client_id)
    contacts, complaints, cases = client_records.service_records(client_id)
    histories = [complaint_data.get(c.complaint_no) for c in complaints]
    tasks = client_records.callback_tasks(client_id, open_only=False)
    visits, attended = activity_records.visits_and_attendances(client_id)
    trail = audit_data.every_entry(f"CLIENT#{client_id}", events=(LOOKUP, EXPORT))
    return AccountRecords(
        client=client,
        metrics=metrics_data.metrics(client_id),
        class_history=history_data.class_history(client_id),
        vip_history=history_data.vip_history(client_id),
        manager_history=managers,
        contact_details_history=change_data.contact_details_history(client_id),
        profile_history=profile_data.history(client_id),
        questionnaires=questionnaire_data.questionnaires(client_id),
        disclosures=suitability_data.disclosures(client_id),
        sales=suitability_data.sales(client_id),
        businesses=suitability_data.businesses(client_id),
        messages=message_data.messages(client_id),
        contacts=contacts,
        complaints=[found for found in histories if found is not None],
        retention_cases=cases,
        callbacks=[(task, callback_data.attempts(task.callback_id)) for task in tasks],
        visits=visits,
        education=attended,
        work_logs=_work_logs(client, managers, now),
        lookups=[entry for entry in trail if entry.event == LOOKUP],
        exports=[entry for entry in trail if entry.event == EXPORT],
    )


def export_trail(grant: Grant, asked: str, accounts: list[str], *, at: datetime, request_id: str) -> list[AuditEntry]:
    """The export's entry in each account's trail: who asked, in what role, on which account, and
    which accounts it covered — never a number. Keyed by the request, so a retry appends nothing."""
    who = grant.identity
    return [
        AuditEntry(
            subject=f"CLIENT#{client_id}",
            table=EXPORT_TABLE,
            key={"client_id": client_id},
            event=EXPORT,
            at=at,
            sequence=request_id,
            by=who.user_id,
            reason=REASON,
            evidence_ref=None,
            before={},
            after={"asked_on": asked, "accounts": accounts, "role": who.role.value, "branch_id": who.branch_id},
        )
        for client_id in accounts
    ]


def export(grant: Grant, client_id: str, *, now: datetime, request_id: str) -> PersonalInformation:
    """Everything held about the person behind `client_id`, every account (404: no such client; 403:
    outside the caller's scope), recorded in each account's trail and the archive first."""
    client = client_data.get(client_id, consistent=True)
    if client is None:
        raise NotFound(f"no client {client_id}", field="client_id")
    grant.require(branch_id=client.branch_id, manager_id=client.manager_id, what=f"client {client_id}")
    key, accounts = _person(client)
    records = [_records(account, now) for account in accounts]
    trail = export_trail(grant, client_id, [a.client_id for a in accounts], at=now, request_id=request_id)
    for entry in trail:
        audit_data.append(entry)  # once per request, however often it is retried
    archive_data.archive(trail, request_id)
    return PersonalInformation(
        key=key,
        id_number=client.id_number,  # the person's: the same on every account
        restricted=is_restricted(a.status for a in accounts),
        generated_at=now,
        generated_by=grant.identity.user_id,
        accounts=records,
    )
