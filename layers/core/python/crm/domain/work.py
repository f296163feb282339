"""Each person's work for a day (第51–54条; DOMAIN §12 «My work»): one list, due first.

A staff member's list for a day holds the callbacks it owns (and, for counter staff and
supervisors, its branch's pool) due by that day's end or overdue; the inquiries it must answer,
with their deadlines; for supervisors, the complaints of the branch with an investigation or a reply
due; the prospects it must follow up; and, for a manager, the work log of the working day before
if it was not written. Each item links to its record (`kind` + `id`) and is flagged overdue when
its deadline has passed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from crm.domain.calendar import WorkingCalendar
from crm.domain.sla import ClockKind
from crm.domain.time import BEIJING


class WorkKind(StrEnum):
    CALLBACK = "callback"
    CONTACT_REPLY = "contact_reply"
    COMPLAINT_INVESTIGATION = "complaint_investigation"
    COMPLAINT_REPLY = "complaint_reply"
    PROSPECT_FOLLOW_UP = "prospect_follow_up"
    WORK_LOG_MISSING = "work_log_missing"


# What each deadline asks of whoever holds it: an inquiry's reply or next-day follow-up is an answer owed.
CLOCK_WORK = {
    ClockKind.CONTACT_REPLY: WorkKind.CONTACT_REPLY,
    ClockKind.CONTACT_FOLLOW_UP: WorkKind.CONTACT_REPLY,
    ClockKind.COMPLAINT_INVESTIGATE: WorkKind.COMPLAINT_INVESTIGATION,
    ClockKind.COMPLAINT_REPLY: WorkKind.COMPLAINT_REPLY,
    ClockKind.PROSPECT_FOLLOW_UP: WorkKind.PROSPECT_FOLLOW_UP,
}


@dataclass(frozen=True)
class WorkItem:
    kind: WorkKind
    id: str  # the record's id: a callback, a contact, a complaint number, a prospect, a log's day
    client_id: str | None
    due_at: datetime
    overdue: bool


def day_end(day: date) -> datetime:
    """What `due by that day` means: the end of the day, Beijing time (DOMAIN §10)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=BEIJING)


def item(kind: WorkKind, record_id: str, client_id: str | None, due_at: datetime, now: datetime) -> WorkItem:
    return WorkItem(kind=kind, id=record_id, client_id=client_id, due_at=due_at, overdue=due_at < now)


def arranged(items: Iterable[WorkItem]) -> tuple[list[WorkItem], dict[WorkKind, int]]:
    """Due first (then by kind and id, so a list reads the same each time), with the count of each kind."""
    ordered = sorted(dict.fromkeys(items), key=lambda w: (w.due_at, w.kind.value, w.id))
    counts = Counter(w.kind for w in ordered)
    return ordered, {kind: counts.get(kind, 0) for kind in WorkKind}


def log_to_write(day: date, calendar: WorkingCalendar, window_working_days: int) -> tuple[date, date] | None:
    """The working day whose log a manager is to have written by `day` — the working day before it —
    and the last day it may still be written (第54条: on the day or within the window after), or
    None when that window closed before `day`."""
    previous = day - timedelta(days=1)
    while not calendar.is_working_day(previous):
        previous -= timedelta(days=1)
    last = calendar.nth_working_day_after(previous, window_working_days)[0] if window_working_days else previous
    return (previous, last) if last >= day else None
