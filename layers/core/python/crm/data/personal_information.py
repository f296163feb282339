"""What the activity table holds about one client, read whole for the access export (PIPL 第45条;
DOMAIN §14): the visits naming it and the education activities it attended, both in its partition
of the activity table's `by_client` index (`listed_at` = VISIT#… | ATTENDED#…), so one query —
page after page until the partition ends — finds both, never a scan. (Work logs are in no index
by client: crm.services.personal_information reads them by key, manager by manager.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crm import config
from crm.data.activity import VisitItem, visit_from_image
from crm.data.base import connection
from crm.data.education import attendance_from_image
from crm.domain.activity import Visit
from crm.domain.education import Attendance
from crm.topology import ACTIVITY

VISIT, ATTENDED = "VISIT#", "ATTENDED#"


def _partition(client_id: str) -> Iterator[dict[str, Any]]:
    """Every item of the client's partition of the `by_client` index, oldest first, every page."""
    request: dict[str, Any] = {
        "TableName": config.active().table(ACTIVITY),
        "IndexName": VisitItem.by_client.Meta.index_name,
        "KeyConditionExpression": "client_id = :client",
        "ExpressionAttributeValues": {":client": {"S": client_id}},
    }
    while True:
        response = connection().client.query(**request)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def visits_and_attendances(client_id: str) -> tuple[list[Visit], list[Attendance]]:
    """The visits naming the client (by visit time) and what it attended (by the day held), oldest
    first; in one query of its partition."""
    visits: list[Visit] = []
    attended: list[Attendance] = []
    for raw in _partition(client_id):
        listed = raw.get("listed_at", {}).get("S", "")
        if listed.startswith(VISIT):
            visits.append(visit_from_image(raw))
        elif listed.startswith(ATTENDED):
            attended.append(attendance_from_image(raw))
    return visits, attended
