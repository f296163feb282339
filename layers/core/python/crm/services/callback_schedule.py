"""Keeping the schedule of callbacks that can fall due (DOMAIN §5–7), from the records whose
changes make them due: the stream's view of clients, complaints and retention cases.

- a client registered within the window → its `new_account` entry;
- a client's class set or changed → its `periodic` entry (a faster class brings it forward);
- a client becoming (or no longer) a VIP or target VIP, or a birthday → its `care` entry;
- a client transferred or closed → its entries go, its open periodic and care tasks are cancelled;
- a client's manager re-assigned → its entries and its open periodic and care tasks follow;
- a complaint reaching `replied` → its `post_complaint` entry; a case ending `transferred` or
  `closed` → its `post_closure` entry.

Only the daily job creates tasks. Every step recomputes from the record and writes under the
entry's version, so a redelivered or reordered record changes nothing, and a race with the job
(which moves entries on as it creates their tasks) only makes it derive again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm import rules
from crm.data import callbacks as callback_data
from crm.domain.audit import Stamp
from crm.domain.callbacks import (
    CallbackRules,
    Kind,
    ScheduleEntry,
    ScheduleView,
    TaskStatus,
    care_entry,
    new_account_entry,
    periodic_entry,
    post_closure_entry,
    post_complaint_entry,
)
from crm.domain.client import Client, ClientStatus
from crm.domain.complaints import Complaint
from crm.domain.retention import RetentionCase
from crm.domain.time import beijing

MAX_ATTEMPTS = 5
SYSTEM = callback_data.SYSTEM_SCHEDULE
MANAGERS_KINDS = (Kind.PERIODIC, Kind.CARE)  # the tasks that follow the client's manager


class ScheduleRaced(Exception):
    """An entry kept changing under us; the stream retries the record."""


def view_of(client: Client) -> ScheduleView:
    changed = client.changed_at or client.created_at
    return ScheduleView(
        client_id=client.client_id,
        branch_id=client.branch_id,
        manager_id=client.manager_id,
        opened_on=client.opened_on,
        birthday=client.birthday,
        client_class=client.client_class,
        cared_for=client.vip or client.vip_target,
        active=client.status is ClientStatus.ACTIVE,
        classified_on=beijing(client.first_classified_at).date() if client.first_classified_at else None,
        as_of=beijing(changed).date(),
    )


def on_client_changed(old: Client | None, new: Client) -> list[str]:
    """Bring the client's entries and open tasks in line with its record; returns what it did."""
    callback_rules = rules.callbacks()
    view = view_of(new)
    at = new.changed_at or new.created_at
    stamp = Stamp(by=SYSTEM, reason=f"schedule follows client {new.client_id}", at=at)
    done: list[str] = []
    for _ in range(MAX_ATTEMPTS):
        if _align_entries(old, new, view, callback_rules, stamp, done):
            break
    else:
        raise ScheduleRaced(new.client_id)
    if not view.active:
        done += _cancel_open_tasks(new, stamp)
    elif old is not None and old.manager_id != new.manager_id:
        done += _follow_manager(new, old.manager_id, stamp)
    return done


def _align_entries(
    old: Client | None, new: Client, view: ScheduleView, callback_rules: CallbackRules, stamp: Stamp, done: list[str]
) -> bool:
    """One pass over the client's entries; False when one changed under us (derive again)."""
    entries = callback_data.client_entries(new.client_id)
    wanted: dict[Kind, ScheduleEntry | None] = {
        Kind.PERIODIC: periodic_entry(entries.get(Kind.PERIODIC), view, callback_rules),
        Kind.CARE: care_entry(entries.get(Kind.CARE), view, callback_rules),
        Kind.NEW_ACCOUNT: _new_account(old, new, view, entries.get(Kind.NEW_ACCOUNT), callback_rules),
    }
    for kind, desired in wanted.items():
        existing = entries.get(kind)
        if desired == existing:
            continue
        if desired is None:
            if existing is not None and not callback_data.delete_entry(existing):
                return False
            done.append(f"{kind} entry removed")
        elif not callback_data.put_entry(desired, stamp):
            return False
        else:
            done.append(f"{kind} entry {'created' if existing is None else 'moved'}")
    return True


def _new_account(
    old: Client | None,
    new: Client,
    view: ScheduleView,
    existing: ScheduleEntry | None,
    callback_rules: CallbackRules,
) -> ScheduleEntry | None:
    """Made once, when the client is registered; kept (manager following) until the job takes it."""
    if not view.active:
        return None
    if existing is not None:
        return replace(existing, manager_id=new.manager_id)
    if old is not None:
        return None
    return new_account_entry(view, beijing(new.created_at).date(), callback_rules)


def _cancel_open_tasks(client: Client, stamp: Stamp) -> list[str]:
    """A client who left gets no more periodic or care calls (DOMAIN §5, §6)."""
    cancelled = []
    for task in callback_data.open_tasks_of(client.client_id):
        if task.kind in MANAGERS_KINDS:
            ended = replace(task, status=TaskStatus.CANCELLED, finished_at=stamp.at)
            callback_data.change(task, ended, replace(stamp, reason=f"client {client.status}: callback cancelled"))
            cancelled.append(f"{task.callback_id} cancelled")
    return cancelled


def _follow_manager(client: Client, previous: str, stamp: Stamp) -> list[str]:
    moved = []
    for task in callback_data.open_tasks_of(client.client_id):
        if task.kind in MANAGERS_KINDS and task.owner == previous:
            callback_data.change(
                task,
                replace(task, owner=client.manager_id, manager_id=client.manager_id),
                replace(stamp, reason=f"the client's manager is now {client.manager_id}"),
            )
            moved.append(f"{task.callback_id} to {client.manager_id}")
    return moved


def _put_once(entry: ScheduleEntry, at: datetime) -> str:
    """A one-off entry (a complaint's, a case's); one there already (a redelivery) is kept."""
    written = callback_data.put_entry(entry, Stamp(by=SYSTEM, reason=f"{entry.kind} due", at=at))
    return f"{entry.kind} entry {'created' if written else 'already there'}"


def on_complaint_replied(complaint: Complaint, replied_at: datetime) -> str:
    entry = post_complaint_entry(
        complaint.complaint_no,
        client_id=complaint.client_id,
        branch_id=complaint.branch_id,
        manager_id=complaint.manager_id,
        replied_at=replied_at,
        about_staff=complaint.about_staff,
    )
    return _put_once(entry, replied_at)


def on_case_left(case: RetentionCase) -> str:
    decided_at = case.decided_at or case.opened_at
    entry = post_closure_entry(
        case.case_id,
        client_id=case.client_id,
        branch_id=case.branch_id,
        manager_id=case.manager_id,
        decided_at=decided_at,
        rules=rules.callbacks(),
    )
    return _put_once(entry, decided_at)
