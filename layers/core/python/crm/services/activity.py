"""Managers' service records (第52–55条; DOMAIN §8): work logs, weekly summaries, visits, spot
checks, and what a manager did in a period — from the counters the stream keeps, not from the
records themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from crm import rules
from crm.data import activity as activity_data
from crm.data import counters
from crm.data.clients import records as client_data
from crm.domain.access import Grant, Role
from crm.domain.activity import (
    Activity,
    EntryKind,
    LogEntry,
    SpotCheck,
    Visit,
    VisitChannel,
    WeeklySummary,
    WorkLog,
    activity_counter,
    check_spot_check,
    check_summary_week,
    check_visit,
    day_period,
    plan_log,
    week_period,
    weeks_between,
)
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.time import beijing
from crm.errors import Forbidden, InvalidInput, NotFound
from crm.services import staff_references as staff
from crm.services.calendar import working_calendar

MAX_PERIOD_DAYS = 366


def _clients_of(manager_id: str, entries: Sequence[LogEntry]) -> None:
    """Every client an entry names exists and is the manager's."""
    for n, entry in enumerate(entries):
        if entry.client_id is None:
            continue
        client = client_data.get(entry.client_id)
        if client is None:
            raise InvalidInput(f"no client {entry.client_id}", field=f"entries.{n}.client_id")
        if client.manager_id != manager_id:
            raise InvalidInput(f"{entry.client_id} is not {manager_id}'s client", field=f"entries.{n}.client_id")


def write_log(
    grant: Grant,
    manager_id: str,
    day: date,
    entries: list[LogEntry],
    *,
    reason: str | None,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> WorkLog:
    branch = staff.manager_branch(grant, manager_id, writing=True)
    existing = activity_data.work_log(manager_id, day)
    what = f"{manager_id}'s log of {day.isoformat()}"
    require_version(expected_version, existing.version if existing else None, what=what, exists=existing is not None)
    calendar = working_calendar(range(day.year, beijing(now).year + 1))
    amended, amend_reason = plan_log(
        manager_id,
        day,
        entries,
        actor=grant.identity,
        now=now,
        reason=reason,
        calendar=calendar,
        rules=rules.activity(),
    )
    _clients_of(manager_id, entries)
    log = WorkLog(
        manager_id=manager_id,
        branch_id=branch,
        day=day,
        entries=tuple(entries),
        written_by=grant.identity.user_id,
        written_at=now,
        amended_by=grant.identity.user_id if amended else None,
        amend_reason=amend_reason,
        version=existing.version if existing else None,
    )
    activity_data.put_log(log)
    return replace(log, version=(log.version or 0) + 1)


def _period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput("to comes on or after from", field="to")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(f"a period spans at most {MAX_PERIOD_DAYS} days", field="to")


def logs(
    grant: Grant, manager_id: str, start: date, end: date, *, limit: int, cursor: str | None
) -> tuple[list[WorkLog], str | None]:
    _period(start, end)
    staff.manager_branch(grant, manager_id, writing=False)
    return activity_data.work_log_page(manager_id, start, end, limit=limit, cursor=cursor)


def write_summary(
    grant: Grant,
    manager_id: str,
    week: str,
    *,
    achieved: str,
    problems: str,
    plan: str,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> WeeklySummary:
    check_summary_week(week, grant.identity, manager_id, now)
    branch = staff.manager_branch(grant, manager_id, writing=True)
    existing = activity_data.summary(manager_id, week)
    what = f"{manager_id}'s summary of {week}"
    require_version(expected_version, existing.version if existing else None, what=what, exists=existing is not None)
    summary = WeeklySummary(
        manager_id=manager_id,
        branch_id=branch,
        week=week,
        achieved=achieved,
        problems=problems,
        plan=plan,
        written_by=grant.identity.user_id,
        written_at=now,
        version=existing.version if existing else None,
    )
    activity_data.put_summary(summary)
    return replace(summary, version=(summary.version or 0) + 1)


def record_visit(
    grant: Grant,
    *,
    visit_id: str,
    client_id: str,
    at: datetime,
    channel: VisitChannel,
    purpose: str,
    outcome: str,
    self_assessment: int,
    now: datetime,
) -> Visit:
    """A manager's visit of its own client (a supervisor may record one for the branch's manager)."""
    client = client_data.get(client_id)
    if client is None:
        raise NotFound(f"no client {client_id}", field="client_id")
    if grant.identity.role is Role.MANAGER and client.manager_id != grant.identity.user_id:
        raise Forbidden(f"{client_id} is not {grant.identity.user_id}'s client", field="client_id")
    grant.require(branch_id=client.branch_id, manager_id=client.manager_id, what=f"client {client_id}")
    staff.require(client.manager_id, roles=staff.MANAGERS, branch_id=client.branch_id, field="client_id")
    check_visit(at=at, self_assessment=self_assessment, now=now, rules=rules.activity())
    visit = Visit(
        visit_id=visit_id,
        client_id=client_id,
        branch_id=client.branch_id,
        manager_id=client.manager_id,
        at=at,
        channel=channel,
        purpose=purpose,
        outcome=outcome,
        self_assessment=self_assessment,
        recorded_by=grant.identity.user_id,
        recorded_at=now,
    )
    activity_data.add_visit(visit)
    return visit


def visits(
    grant: Grant,
    *,
    branch_id: str | None,
    manager_id: str | None,
    client_id: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Visit], str | None]:
    own = grant.manager_filter()
    if own is not None and manager_id not in (None, own):
        raise Forbidden("a manager lists its own visits", field="manager_id")
    return activity_data.visits(
        manager_id=own or manager_id,
        client_id=client_id,
        branch_id=grant.listing_branch(branch_id),
        start=start,
        end=end,
        limit=limit,
        cursor=cursor,
    )


def spot_check(
    grant: Grant,
    *,
    check_id: str,
    manager_id: str,
    start: date,
    end: date,
    finding: str,
    log_days: Sequence[date],
    visit_ids: Sequence[str],
    now: datetime,
) -> SpotCheck:
    """A supervisor's spot check of a manager's logs and visits of a period (第55条): what it
    looked at must be that manager's, from that period."""
    check_spot_check(start, end, now)
    branch = grant.identity.branch_id or ""
    staff.require(manager_id, roles=staff.MANAGERS, branch_id=branch, field="manager_id")
    for n, day in enumerate(log_days):
        log = activity_data.work_log(manager_id, day)
        if log is None or not start <= day <= end or log.branch_id != branch:
            raise InvalidInput(f"{manager_id} has no log of {day.isoformat()} in the period", field=f"logs.{n}")
    for n, visit_id in enumerate(visit_ids):
        visit = activity_data.visit(visit_id)
        if visit is None or visit.manager_id != manager_id or not start <= beijing(visit.at).date() <= end:
            raise InvalidInput(f"{visit_id} is not one of {manager_id}'s visits in the period", field=f"visits.{n}")
    check = SpotCheck(
        check_id=check_id,
        manager_id=manager_id,
        branch_id=branch,
        start=start,
        end=end,
        finding=finding,
        logs=tuple(log_days),
        visits=tuple(visit_ids),
        by=grant.identity.user_id,
        at=now,
    )
    activity_data.add_spot_check(check)
    return check


def activity(grant: Grant, manager_id: str, start: date, end: date) -> Activity:
    """What a manager did from `start` to `end`: a handful of counters, whatever the records."""
    _period(start, end)
    staff.manager_branch(grant, manager_id, writing=False)
    name = activity_counter(manager_id)
    days = counters.between(name, day_period(start), day_period(end))
    weeks = weeks_between(start, end)
    weeks_found = counters.between(name, week_period(weeks[0]), week_period(weeks[-1]))
    minutes: dict[EntryKind, int] = dict.fromkeys(EntryKind, 0)
    totals = {"work_logs": 0, "visits": 0, "spot_checks": 0}
    for counter in days:
        for metric in totals:
            totals[metric] += counter.figures.get(metric, 0)
        for kind in EntryKind:
            minutes[kind] += counter.figures.get(f"minutes_{kind.value}", 0)
    written = {c.period for c in weeks_found if c.figures.get("weekly_summaries")}
    return Activity(
        manager_id=manager_id,
        start=start,
        end=end,
        work_logs=totals["work_logs"],
        minutes=minutes,
        visits=totals["visits"],
        spot_checks=totals["spot_checks"],
        weekly_summaries={week: week_period(week) in written for week in weeks},
    )
