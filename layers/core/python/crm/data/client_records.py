"""Everything about one client across the tables, through the indexes by client (DOMAIN §12, §14):
the client's record and latest year in one query of its collection, its service records (inquiries,
complaints, transfer and closure cases) through the service table's `by_client` index, and its
callback tasks through the callbacks table's. A client's overview reads a bounded number of pages
whatever its history; the personal-information export reads them all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crm import config
from crm.data.base import connection
from crm.data.callbacks import TaskItem, task_from_image
from crm.data.clients.items import PROFILE, ProfileItem, client_from_item, client_pk
from crm.data.clients.metrics import MetricsItem, year_metrics
from crm.data.complaints import complaint_from_image
from crm.data.contacts import contact_from_image
from crm.data.retention import case_from_image
from crm.data.service import ClientRecordItem
from crm.domain.callbacks import CallbackTask
from crm.domain.classification import YearMetrics
from crm.domain.client import Client
from crm.domain.complaints import Complaint
from crm.domain.contacts import Contact
from crm.domain.retention import RetentionCase
from crm.topology import CALLBACKS, CLIENTS, SERVICE

# The records of the service table a client's by_client index holds, by the start of `listed_at`.
CONTACT, COMPLAINT, CASE = "CONTACT#", "COMPLAINT#", "CASE#"


def _query(table: str, index: str, client_id: str, **more: Any) -> Iterator[dict[str, Any]]:
    """Every item of an index's partition for the client, page after page (usually one)."""
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "client_id = :client",
        "ExpressionAttributeValues": {":client": {"S": client_id}},
    }
    request.update(more)  # a filter brings values of its own, the client's among them
    while True:
        response = connection().client.query(**request)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def record_and_latest_year(client_id: str) -> tuple[Client | None, YearMetrics | None]:
    """The client's record and its latest year's figures, in one query of its collection (nothing
    sorts between METRICS#… and PROFILE: crm.data.clients.items)."""
    response = connection().client.query(
        TableName=config.active().table(CLIENTS),
        KeyConditionExpression="pk = :pk AND sk BETWEEN :metrics AND :profile",
        ExpressionAttributeValues={
            ":pk": {"S": client_pk(client_id)},
            ":metrics": {"S": "METRICS#"},
            ":profile": {"S": PROFILE},
        },
        ScanIndexForward=False,
        Limit=2,
    )
    client, latest = None, None
    for raw in response.get("Items", []):
        if raw["sk"]["S"] == PROFILE:
            client = client_from_item(ProfileItem.from_raw_data(raw))
        else:
            latest = year_metrics(MetricsItem.from_raw_data(raw))
    return client, latest


def service_records(client_id: str) -> tuple[list[Contact], list[Complaint], list[RetentionCase]]:
    """The client's inquiries, complaints and cases, newest first."""
    contacts: list[Contact] = []
    complaints: list[Complaint] = []
    cases: list[RetentionCase] = []
    index = ClientRecordItem.by_client.Meta.index_name
    for raw in _query(config.active().table(SERVICE), index, client_id, ScanIndexForward=False):
        listed = raw.get("listed_at", {}).get("S", "")
        if listed.startswith(CONTACT):
            contacts.append(contact_from_image(raw))
        elif listed.startswith(COMPLAINT):
            complaints.append(complaint_from_image(raw)[0])
        elif listed.startswith(CASE):
            cases.append(case_from_image(raw))
    return contacts, complaints, cases


def callback_tasks(client_id: str, *, open_only: bool) -> list[CallbackTask]:
    """The client's callback tasks, due first (only the open ones: the index holds them all, the
    filter keeps the answer small)."""
    more: dict[str, Any] = {"FilterExpression": "sk = :task"}
    values: dict[str, Any] = {":task": {"S": "TASK"}}
    if open_only:
        more["FilterExpression"] += " AND #status = :open"
        more["ExpressionAttributeNames"] = {"#status": "status"}
        values[":open"] = {"S": "open"}
    more["ExpressionAttributeValues"] = {":client": {"S": client_id}, **values}
    items = _query(config.active().table(CALLBACKS), TaskItem.by_client.Meta.index_name, client_id, **more)
    return [task_from_image(raw) for raw in items]
