"""Keeping the counters from the records that change (the `aggregates` stream consumer): each
record's contribution (crm.domain.aggregates) folded into the counters, once, whatever the
redeliveries (crm.data.counters).

Event records (contacts, complaints, their clocks and breaches, retention cases, callbacks, work
logs, visits, spot checks, education) contribute what their current image says, under their
version: a record that moves (a reply, a validity, a task done) moves its counts, and an image
older than the one counted changes nothing. Client records contribute the change each write made
to the snapshot (old image out, new image in), once per version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm.data import activity as activity_data
from crm.data import callbacks as callback_data
from crm.data import clocks as clock_data
from crm.data import contacts as contact_data
from crm.data import counters
from crm.data import education as education_data
from crm.data import retention as retention_data
from crm.data.clients.items import client_from_image
from crm.data.complaints import complaint_from_image
from crm.domain.activity import ACTIVITY_COUNTER
from crm.domain.aggregates import (
    Contribution,
    attendance_counts,
    breach_counts,
    callback_counts,
    case_counts,
    clock_counts,
    complaint_counts,
    contact_counts,
    education_counts,
    log_counts,
    spot_check_counts,
    state_change,
    summary_counts,
    visit_counts,
)
from crm.topology import ACTIVITY, CALLBACKS, CLIENTS, SERVICE

Image = dict[str, Any]


Counted = tuple[Contribution, str]  # what a record counts for, and the branch it is in


def _counted(count: Callable[[Any], Contribution], record: Any) -> Counted:
    return count(record), record.branch_id


def _by_key(pk: str, sk: str, table: str) -> Callable[[Image], Counted] | None:
    """What a record of `table` counts for, by the shape of its key (None: nothing)."""
    if table == ACTIVITY.name:
        if pk.startswith("LOG#"):
            return lambda image: _counted(log_counts, activity_data.log_from_image(image))
        if pk.startswith("WEEK#"):
            return lambda image: _counted(summary_counts, activity_data.summary_from_image(image))
        if pk.startswith("VISIT#"):
            return lambda image: _counted(visit_counts, activity_data.visit_from_image(image))
        if pk.startswith("SPOT#"):
            return lambda image: _counted(spot_check_counts, activity_data.spot_check_from_image(image))
        if pk.startswith("EDU#") and sk == education_data.RECORD:
            return lambda image: _counted(education_counts, education_data.activity_from_image(image))
        if pk.startswith("EDU#") and sk.startswith("ATTENDEE#"):
            return lambda image: _counted(attendance_counts, education_data.attendance_from_image(image))
    if table == SERVICE.name:
        if sk == "CONTACT":
            return lambda image: _counted(contact_counts, contact_data.contact_from_image(image))
        if sk == "COMPLAINT":
            return lambda image: _counted(complaint_counts, complaint_from_image(image)[0])
        if sk.startswith("CLOCK#"):
            return lambda image: _counted(clock_counts, clock_data.clock_from_image(image))
        if sk.startswith("BREACH#"):
            return lambda image: _counted(breach_counts, clock_data.breach_from_image(image))
        if sk == retention_data.RECORD:
            return lambda image: _counted(case_counts, retention_data.case_from_image(image))
    if table == CALLBACKS.name and sk == callback_data.TASK:
        return lambda image: _counted(callback_counts, callback_data.task_from_image(image))
    return None


def _version(image: Image | None) -> int | None:
    number = (image or {}).get("version", {}).get("N")
    return int(number) if number is not None else None


def on_record(table: str, keys: dict[str, str], new: Image | None, old: Image | None = None) -> bool:
    """Fold one changed record into its counters; True when they moved."""
    pk, sk = keys["pk"], keys["sk"]
    record = f"{table}#{pk}#{sk}"
    if table == CLIENTS.name and sk == "PROFILE":
        if new is None:
            return False  # client records are never removed
        client = client_from_image(new)
        change = state_change(client_from_image(old) if old else None, client, client.changed_at or client.created_at)
        return counters.fold(record, f"state#v{_version(new)}", change)
    count = _by_key(pk, sk, table)
    if count is None:
        return False
    wanted, branch_id = count(new) if new is not None else ({}, "")
    # A manager's activity counters carry the branch they are in: what the activity view authorises by.
    labels = {key: {"branch_id": branch_id} for key in wanted if key[0].startswith(ACTIVITY_COUNTER)}
    return counters.fold(record, "counts", wanted, source_version=_version(new), labels=labels)
