"""Each person's work for a day (第51–54条; DOMAIN §12 «My work»), from the indexes that hold what
is open — never a scan: the callbacks it owns (and its branch's pool, for counter staff and
supervisors) from `open_work`, the deadlines it must meet (and its branch's complaints, for
supervisors) from the service table's `work`, and a manager's log of the working day before. The
requests grow with the items due, not with the branch."""

from __future__ import annotations

from datetime import date, datetime

from crm import rules
from crm.data import activity as activity_data
from crm.data import callbacks as callback_data
from crm.data import clocks as clock_data
from crm.domain.access import Grant, Role
from crm.domain.time import beijing
from crm.domain.work import CLOCK_WORK, WorkItem, WorkKind, arranged, day_end, item, log_to_write
from crm.services.calendar import working_calendar

# Who takes its branch's unassigned work besides its own: the pool of callbacks that check on the
# selling and the service (DOMAIN §5), and the complaints no one is named for (§4).
POOL_CALLBACKS = frozenset({Role.COUNTER, Role.SUPERVISOR})
POOL_DEADLINES = frozenset({Role.SUPERVISOR})


def work(grant: Grant, day: date | None, *, now: datetime) -> tuple[date, list[WorkItem], dict[WorkKind, int]]:
    me = grant.identity
    day = day or beijing(now).date()
    end = day_end(day)
    branch = me.branch_id or ""
    found: list[WorkItem] = []
    callback_owners = [me.user_id] + ([callback_data.pool_of(branch)] if me.role in POOL_CALLBACKS else [])
    for owner in callback_owners:
        for task in callback_data.open_due_by(owner, end):
            if task.branch_id == branch:
                found.append(item(WorkKind.CALLBACK, task.callback_id, task.client_id, task.due_at, now))
    deadline_owners = [me.user_id] + ([clock_data.branch_pool(branch)] if me.role in POOL_DEADLINES else [])
    for owner in deadline_owners:
        for clock, client_id in clock_data.work_due_by(owner, end):
            if clock.branch_id == branch:
                found.append(item(CLOCK_WORK[clock.kind], clock.owner_id, client_id, clock.due_at, now))
    if me.role is Role.MANAGER:
        calendar = working_calendar({day.year - 1, day.year, day.year + 1})
        due = log_to_write(day, calendar, rules.activity().late_working_days)
        if due is not None and activity_data.work_log(me.user_id, due[0]) is None:
            found.append(item(WorkKind.WORK_LOG_MISSING, due[0].isoformat(), None, day_end(due[1]), now))
    items, counts = arranged(found)
    return day, items, counts
