"""Investor education in the activity table (Part 9; DOMAIN §9a).

Keys: EDU#<id> / ACTIVITY (listed per branch: `listed_at` = EDU#<held on>#<id>) and, beside it,
EDU#<id> / ATTENDEE#<client> for each client who attended (in its client's history through
`by_client`: `listed_at` = ATTENDED#<held on>#<id>). An attendance list replaces the one before;
the whole list is checked before anything is written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.data.activity import ActivityItem, ByBranch, ByClient
from crm.data.base import connection, decode_cursor, encode_cursor, lost_to_a_condition, stamp_actions, stamped
from crm.domain.audit import Stamp
from crm.domain.education import Attendance, EducationActivity, EducationKind
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict

RECORD = "ACTIVITY"
TRANSACTION_ITEMS = 100  # DynamoDB's limit on one transaction


class ActivityRecordItem(ActivityItem):
    activity_id = UnicodeAttribute()
    title = UnicodeAttribute()
    kind = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    held_on = UnicodeAttribute()
    topic = UnicodeAttribute()
    speaker = UnicodeAttribute()
    recorded_by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    attendees = NumberAttribute(default=0)
    version = VersionAttribute()
    by_branch = ByBranch()


class AttendeeItem(ActivityItem):
    activity_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    attendee_branch = UnicodeAttribute()  # not `branch_id`: attendances are not the branch's activities
    held_on = UnicodeAttribute()
    title = UnicodeAttribute()
    kind = UnicodeAttribute()
    topic = UnicodeAttribute()
    recorded_by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    by_client = ByClient()


def activity_pk(activity_id: str) -> str:
    return f"EDU#{activity_id}"


def _activity(item: ActivityRecordItem) -> EducationActivity:
    return EducationActivity(
        activity_id=item.activity_id,
        title=item.title,
        kind=EducationKind(item.kind),
        branch_id=item.branch_id,
        held_on=date.fromisoformat(item.held_on),
        topic=item.topic,
        speaker=item.speaker,
        recorded_by=item.recorded_by,
        recorded_at=parse_iso(item.recorded_at),
        attendees=int(item.attendees or 0),
        version=item.version,
    )


def activity_from_image(image: dict[str, Any]) -> EducationActivity:
    return _activity(ActivityRecordItem.from_raw_data(image))


def attendance_from_image(image: dict[str, Any]) -> Attendance:
    return _attendance(AttendeeItem.from_raw_data(image))


def create(activity: EducationActivity) -> int:
    """Store a new activity; the version it is stored at."""
    record = stamped(
        ActivityRecordItem(
            pk=activity_pk(activity.activity_id),
            sk=RECORD,
            activity_id=activity.activity_id,
            title=activity.title,
            kind=activity.kind.value,
            branch_id=activity.branch_id,
            listed_at=f"EDU#{activity.held_on.isoformat()}#{activity.activity_id}",
            held_on=activity.held_on.isoformat(),
            topic=activity.topic,
            speaker=activity.speaker,
            recorded_by=activity.recorded_by,
            recorded_at=iso(activity.recorded_at),
        ),
        Stamp(by=activity.recorded_by, reason="education activity", at=activity.recorded_at),
    )
    record.save()
    return int(record.version)


def get(activity_id: str) -> EducationActivity | None:
    try:
        return _activity(ActivityRecordItem.get(activity_pk(activity_id), RECORD, consistent_read=True))
    except ActivityRecordItem.DoesNotExist:
        return None


def attendees(activity_id: str) -> list[str]:
    items = AttendeeItem.query(activity_pk(activity_id), AttendeeItem.sk.startswith("ATTENDEE#"), consistent_read=True)
    return [item.client_id for item in items]


def _attendee_item(activity: EducationActivity, client_id: str, by: str, at: Any) -> AttendeeItem:
    return stamped(
        AttendeeItem(
            pk=activity_pk(activity.activity_id),
            sk=f"ATTENDEE#{client_id}",
            activity_id=activity.activity_id,
            client_id=client_id,
            listed_at=f"ATTENDED#{activity.held_on.isoformat()}#{activity.activity_id}",
            attendee_branch=activity.branch_id,
            held_on=activity.held_on.isoformat(),
            title=activity.title,
            kind=activity.kind.value,
            topic=activity.topic,
            recorded_by=by,
            recorded_at=iso(at),
        ),
        Stamp(by=by, reason="attended", at=at),
    )


def set_attendance(activity: EducationActivity, before: list[str], after: list[str], *, by: str, at: Any) -> None:
    """Replace the attendance list: the activity's count first, under its version (a concurrent
    replacement gets 409), then the attendees that came and went, a hundred writes at a time."""
    added = [c for c in after if c not in set(before)]
    removed = [c for c in before if c not in set(after)]
    record = ActivityRecordItem(pk=activity_pk(activity.activity_id), sk=RECORD)
    record.version = activity.version
    writes: list[tuple[str, Any]] = [("add", _attendee_item(activity, c, by, at)) for c in added]
    writes += [("remove", AttendeeItem(pk=activity_pk(activity.activity_id), sk=f"ATTENDEE#{c}")) for c in removed]
    first, rest = writes[: TRANSACTION_ITEMS - 1], writes[TRANSACTION_ITEMS - 1 :]
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                record,
                actions=[
                    ActivityRecordItem.attendees.set(len(after)),
                    *stamp_actions(ActivityRecordItem, Stamp(by=by, reason="attendance", at=at)),
                ],
            )
            _apply(transaction, first)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict("the attendance changed meanwhile; reload and try again", field="client_ids") from None
        raise
    for start in range(0, len(rest), TRANSACTION_ITEMS):
        with TransactWrite(connection=connection()) as transaction:
            _apply(transaction, rest[start : start + TRANSACTION_ITEMS])


def _apply(transaction: TransactWrite, writes: list[tuple[str, Any]]) -> None:
    for operation, item in writes:
        if operation == "add":
            transaction.save(item)
        else:
            transaction.delete(item)


def for_branch(
    branch_id: str, *, start: date | None, end: date | None, limit: int, cursor: str | None
) -> tuple[list[EducationActivity], str | None]:
    low = f"EDU#{start.isoformat()}" if start else "EDU#"
    high = f"EDU#{end.isoformat()}~" if end else "EDU#~"
    pages = ActivityRecordItem.by_branch.query(
        branch_id,
        ActivityRecordItem.listed_at.between(low, high),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, listing := f"education:{branch_id}"),
    )
    return [_activity(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


def _attendance(item: AttendeeItem) -> Attendance:
    return Attendance(
        activity_id=item.activity_id,
        client_id=item.client_id,
        branch_id=item.attendee_branch,
        held_on=date.fromisoformat(item.held_on),
        title=item.title,
        kind=EducationKind(item.kind),
        topic=item.topic,
        recorded_by=item.recorded_by,
        recorded_at=parse_iso(item.recorded_at),
    )


def attended(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[Attendance], str | None]:
    """What a client attended, latest first."""
    pages = AttendeeItem.by_client.query(
        client_id,
        AttendeeItem.listed_at.startswith("ATTENDED#"),
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, listing := f"attended:{client_id}"),
    )
    return [_attendance(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)
