"""The whole picture of one client (第29条3: 账户状态、已开通业务情况、资产状况; DOMAIN §12): its
status, class, risk level and VIP, its latest year's figures, the businesses opened, what is open
about it — complaints, callbacks, inquiries with their deadlines, a transfer or closure case — and
the person's other accounts in the caller's scope. Five DynamoDB requests, whatever its history
(tests/bench/lookup.py counts them): the record with its latest year, the businesses, the service
records and the callbacks by client, the person's accounts. The items those read grow with the
client's settled records too (the indexes by client hold them all); a page holds about 600 of
each kind, beyond which a query takes a page more."""

from __future__ import annotations

from dataclasses import dataclass

from crm.data import client_records
from crm.data.clients import suitability as suitability_data
from crm.domain.access import Grant
from crm.domain.callbacks import CallbackTask
from crm.domain.classification import YearMetrics
from crm.domain.client import Client
from crm.domain.complaints import Complaint, Status
from crm.domain.contacts import Contact, ContactStatus
from crm.domain.retention import CaseStatus, RetentionCase
from crm.domain.suitability import EnabledBusiness
from crm.errors import NotFound
from crm.services.same_person import same_person

SETTLED_COMPLAINTS = frozenset({Status.CLOSED})


@dataclass(frozen=True)
class Overview:
    client: Client
    metrics: YearMetrics | None
    businesses: list[EnabledBusiness]
    open_complaints: list[Complaint]
    open_callbacks: list[CallbackTask]
    open_contacts: list[Contact]
    retention_case: RetentionCase | None
    same_person: list[str]


def overview(grant: Grant, client_id: str) -> Overview:
    client, latest = client_records.record_and_latest_year(client_id)
    if client is None:
        raise NotFound(f"no client {client_id}", field="client_id")
    grant.require(branch_id=client.branch_id, manager_id=client.manager_id, what=f"client {client_id}")
    contacts, complaints, cases = client_records.service_records(client_id)
    return Overview(
        client=client,
        metrics=latest,
        businesses=suitability_data.businesses(client_id),
        open_complaints=[c for c in complaints if c.status not in SETTLED_COMPLAINTS],
        open_callbacks=client_records.callback_tasks(client_id, open_only=True),
        open_contacts=[c for c in contacts if c.status is ContactStatus.OPEN],
        retention_case=next((case for case in cases if case.status is CaseStatus.OPEN), None),
        same_person=same_person(grant, client),
    )
