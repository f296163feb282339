"""Managers' service records in the activity table (第52–55条; DOMAIN §8).

Keys: LOG#<manager> / <YYYY-MM-DD> (one work log a working day), WEEK#<manager> / <YYYY-Www>
(the weekly summary), VISIT#<id> / VISIT, SPOT#<id> / SPOT. Visits and spot checks are listed
through the sparse `by_manager`, `by_branch` and `by_client` indexes (`listed_at` =
VISIT#<at>#<id> | SPOT#<at>#<id>); logs and summaries are read by key ranges.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator

from crm.data.base import Stamped, decode_cursor, encode_cursor, meta_for, stamped
from crm.data.pages import read_ahead
from crm.domain.activity import EntryKind, LogEntry, SpotCheck, Visit, VisitChannel, WeeklySummary, WorkLog
from crm.domain.audit import Stamp
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict
from crm.topology import ACTIVITY


class ActivityItem(Stamped, Model):
    Meta = meta_for(ACTIVITY)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ByManager(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_manager"
        projection = AllProjection()

    manager_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class ByBranch(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_branch"
        projection = AllProjection()

    branch_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class ByClient(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_client"
        projection = AllProjection()

    client_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class _Entry(MapAttribute[str, Any]):
    kind = UnicodeAttribute()
    minutes = NumberAttribute()
    note = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)


class LogItem(ActivityItem):
    manager_id = UnicodeAttribute()  # no `listed_at`: in no index, read by key
    branch_id = UnicodeAttribute()
    day = UnicodeAttribute()
    entries = ListAttribute(of=_Entry)
    minutes = NumberAttribute()
    written_by = UnicodeAttribute()
    written_at = UnicodeAttribute()
    amended_by = UnicodeAttribute(null=True)
    amend_reason = UnicodeAttribute(null=True)
    version = VersionAttribute()


class SummaryItem(ActivityItem):
    manager_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    week = UnicodeAttribute()
    achieved = UnicodeAttribute()
    problems = UnicodeAttribute()
    plan = UnicodeAttribute()
    written_by = UnicodeAttribute()
    written_at = UnicodeAttribute()
    version = VersionAttribute()


class VisitItem(ActivityItem):
    visit_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    at = UnicodeAttribute()
    channel = UnicodeAttribute()
    purpose = UnicodeAttribute()
    outcome = UnicodeAttribute()
    self_assessment = NumberAttribute()
    recorded_by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    by_manager = ByManager()
    by_branch = ByBranch()
    by_client = ByClient()


class SpotCheckItem(ActivityItem):
    check_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    finding = UnicodeAttribute()
    logs = ListAttribute(of=UnicodeAttribute, default=list)
    visits = ListAttribute(of=UnicodeAttribute, default=list)
    by = UnicodeAttribute()
    at = UnicodeAttribute()
    by_manager = ByManager()


def log_pk(manager_id: str) -> str:
    return f"LOG#{manager_id}"


def week_pk(manager_id: str) -> str:
    return f"WEEK#{manager_id}"


# --- work logs ------------------------------------------------------------------------------------


def _log(item: LogItem) -> WorkLog:
    return WorkLog(
        manager_id=item.manager_id,
        branch_id=item.branch_id,
        day=date.fromisoformat(item.day),
        entries=tuple(
            LogEntry(kind=EntryKind(e.kind), minutes=int(e.minutes), note=e.note, client_id=e.client_id)
            for e in item.entries
        ),
        written_by=item.written_by,
        written_at=parse_iso(item.written_at),
        amended_by=item.amended_by,
        amend_reason=item.amend_reason,
        version=item.version,
    )


def log_item(log: WorkLog) -> LogItem:
    item = LogItem(
        pk=log_pk(log.manager_id),
        sk=log.day.isoformat(),
        manager_id=log.manager_id,
        branch_id=log.branch_id,
        day=log.day.isoformat(),
        entries=[_Entry(kind=e.kind.value, minutes=e.minutes, note=e.note, client_id=e.client_id) for e in log.entries],
        minutes=log.minutes,
        written_by=log.written_by,
        written_at=iso(log.written_at),
        amended_by=log.amended_by,
        amend_reason=log.amend_reason,
    )
    if log.version is not None:
        item.version = log.version
    return item


def log_from_image(image: dict[str, Any]) -> WorkLog:
    return _log(LogItem.from_raw_data(image))


def work_log(manager_id: str, day: date) -> WorkLog | None:
    try:
        return _log(LogItem.get(log_pk(manager_id), day.isoformat(), consistent_read=True))
    except LogItem.DoesNotExist:
        return None


def put_log(log: WorkLog) -> None:
    """The day's log as written now, from the version it was read at (409 when it moved)."""
    reason = log.amend_reason or "work log"
    try:
        stamped(log_item(log), Stamp(by=log.amended_by or log.written_by, reason=reason, at=log.written_at)).save()
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the log changed meanwhile; reload and try again", field="date") from None
        raise


def _logs_between(
    manager_id: str, start: date, end: date, *, limit: int | None = None, after: dict[str, Any] | None = None
) -> ResultIterator[LogItem]:
    """A manager's logs from `start` to `end`, oldest first; `limit` and `after` (a last evaluated
    key) read one page of them."""
    return LogItem.query(
        log_pk(manager_id),
        LogItem.sk.between(start.isoformat(), end.isoformat()),
        consistent_read=True,
        limit=limit,
        page_size=None if limit is None else read_ahead(limit),
        last_evaluated_key=after,
    )


def work_logs(manager_id: str, start: date, end: date) -> list[WorkLog]:
    return [_log(item) for item in _logs_between(manager_id, start, end)]


def work_log_page(
    manager_id: str, start: date, end: date, *, limit: int, cursor: str | None
) -> tuple[list[WorkLog], str | None]:
    """One page of a manager's logs of a period, oldest first. The cursor is the period's: DynamoDB
    refuses a start key outside the range queried."""
    listing = f"work-logs:{manager_id}:{start.isoformat()}:{end.isoformat()}"
    items = _logs_between(manager_id, start, end, limit=limit, after=decode_cursor(cursor, listing))
    return [_log(item) for item in items], encode_cursor(items.last_evaluated_key, listing)


# --- weekly summaries -------------------------------------------------------------------------------


def _summary(item: SummaryItem) -> WeeklySummary:
    return WeeklySummary(
        manager_id=item.manager_id,
        branch_id=item.branch_id,
        week=item.week,
        achieved=item.achieved,
        problems=item.problems,
        plan=item.plan,
        written_by=item.written_by,
        written_at=parse_iso(item.written_at),
        version=item.version,
    )


def summary(manager_id: str, week: str) -> WeeklySummary | None:
    try:
        return _summary(SummaryItem.get(week_pk(manager_id), week, consistent_read=True))
    except SummaryItem.DoesNotExist:
        return None


def summary_from_image(image: dict[str, Any]) -> WeeklySummary:
    return _summary(SummaryItem.from_raw_data(image))


def put_summary(entry: WeeklySummary) -> None:
    item = SummaryItem(
        pk=week_pk(entry.manager_id),
        sk=entry.week,
        manager_id=entry.manager_id,
        branch_id=entry.branch_id,
        week=entry.week,
        achieved=entry.achieved,
        problems=entry.problems,
        plan=entry.plan,
        written_by=entry.written_by,
        written_at=iso(entry.written_at),
    )
    if entry.version is not None:
        item.version = entry.version
    try:
        stamped(item, Stamp(by=entry.written_by, reason="weekly summary", at=entry.written_at)).save()
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the summary changed meanwhile; reload and try again", field="week") from None
        raise


# --- visits and spot checks -------------------------------------------------------------------------


def _visit(item: VisitItem) -> Visit:
    return Visit(
        visit_id=item.visit_id,
        client_id=item.client_id,
        branch_id=item.branch_id,
        manager_id=item.manager_id,
        at=parse_iso(item.at),
        channel=VisitChannel(item.channel),
        purpose=item.purpose,
        outcome=item.outcome,
        self_assessment=int(item.self_assessment),
        recorded_by=item.recorded_by,
        recorded_at=parse_iso(item.recorded_at),
    )


def visit_from_image(image: dict[str, Any]) -> Visit:
    return _visit(VisitItem.from_raw_data(image))


def add_visit(visit: Visit) -> None:
    stamped(
        VisitItem(
            pk=f"VISIT#{visit.visit_id}",
            sk="VISIT",
            visit_id=visit.visit_id,
            client_id=visit.client_id,
            branch_id=visit.branch_id,
            manager_id=visit.manager_id,
            listed_at=f"VISIT#{iso(visit.at)}#{visit.visit_id}",
            at=iso(visit.at),
            channel=visit.channel.value,
            purpose=visit.purpose,
            outcome=visit.outcome,
            self_assessment=visit.self_assessment,
            recorded_by=visit.recorded_by,
            recorded_at=iso(visit.recorded_at),
        ),
        Stamp(by=visit.recorded_by, reason="visit", at=visit.recorded_at),
    ).save(condition=ActivityItem.pk.does_not_exist())


def visit(visit_id: str) -> Visit | None:
    try:
        return _visit(VisitItem.get(f"VISIT#{visit_id}", "VISIT", consistent_read=True))
    except VisitItem.DoesNotExist:
        return None


def visits(
    *,
    manager_id: str | None,
    client_id: str | None,
    branch_id: str,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Visit], str | None]:
    """A page of visits, newest first: a manager's, a client's or a branch's."""
    low = f"VISIT#{iso(start)}" if start else "VISIT#"
    high = f"VISIT#{iso(end)}~" if end else "VISIT#~"
    condition = VisitItem.branch_id == branch_id
    if manager_id is not None and client_id is not None:
        condition &= VisitItem.manager_id == manager_id
    if client_id is not None:
        index: Any = VisitItem.by_client
        partition = client_id
    elif manager_id is not None:
        index, partition = VisitItem.by_manager, manager_id
    else:
        index, partition = VisitItem.by_branch, branch_id
    pages = index.query(
        partition,
        VisitItem.listed_at.between(low, high),
        filter_condition=condition,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, listing := f"visits:{index.Meta.index_name}:{partition}"),
    )
    return [_visit(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


def _spot_check(item: SpotCheckItem) -> SpotCheck:
    return SpotCheck(
        check_id=item.check_id,
        manager_id=item.manager_id,
        branch_id=item.branch_id,
        start=date.fromisoformat(item.start),
        end=date.fromisoformat(item.end),
        finding=item.finding,
        logs=tuple(date.fromisoformat(str(d)) for d in item.logs or ()),
        visits=tuple(str(v) for v in item.visits or ()),
        by=item.by,
        at=parse_iso(item.at),
    )


def spot_check_from_image(image: dict[str, Any]) -> SpotCheck:
    return _spot_check(SpotCheckItem.from_raw_data(image))


def add_spot_check(check: SpotCheck) -> None:
    stamped(
        SpotCheckItem(
            pk=f"SPOT#{check.check_id}",
            sk="SPOT",
            check_id=check.check_id,
            manager_id=check.manager_id,
            branch_id=check.branch_id,
            listed_at=f"SPOT#{iso(check.at)}#{check.check_id}",
            start=check.start.isoformat(),
            end=check.end.isoformat(),
            finding=check.finding,
            logs=[d.isoformat() for d in check.logs],
            visits=list(check.visits),
            by=check.by,
            at=iso(check.at),
        ),
        Stamp(by=check.by, reason="spot check", at=check.at),
    ).save(condition=ActivityItem.pk.does_not_exist())
