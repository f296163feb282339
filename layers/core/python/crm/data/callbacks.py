"""The callbacks table: tasks with their attempts, and the schedule of what can fall due.

Keys: a task is pk = CALLBACK#<id>, sk = TASK, its attempts ATTEMPT#<nnn> beside it (kept at
least three years: never deleted by the application). A schedule entry is pk =
SCHEDULE#<subject type>#<subject>, sk = <kind> (a client's entries share one collection).

Indexes, all sparse: `by_branch` and `by_client` (tasks by due time; attempts and entries carry
no `due_key`), `open_work` (open tasks under their owner, or `POOL#<branch>`: a task leaves it
when it ends), `schedule` (entries whose creation day is set, sharded by kind: what the daily
job reads instead of scanning anything).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from crm.data.base import (
    Stamped,
    connection,
    decode_cursor,
    encode_cursor,
    lost_to_a_condition,
    meta_for,
    set_or_remove,
    shard_of,
    stamp_actions,
    stamped,
)
from crm.data.clients.items import PROFILE, ProfileItem, client_pk
from crm.data.pages import read_ahead
from crm.domain.access import Role
from crm.domain.attitude import Attitude
from crm.domain.audit import Stamp
from crm.domain.callbacks import Attempt, CallbackTask, Kind, ScheduleEntry, TaskStatus
from crm.domain.client import ClientStatus
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict
from crm.topology import CALLBACKS

TASK = "TASK"
SCHEDULE_SHARDS = 4
SYSTEM_SCHEDULE = "system:callback-schedule"
SYSTEM_JOB = "system:callbacks"


class CallbacksItem(Stamped, Model):
    Meta = meta_for(CALLBACKS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _ByBranch(GlobalSecondaryIndex["TaskItem"]):
    class Meta:
        index_name = "by_branch"
        projection = AllProjection()

    branch_id = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class _ByClient(GlobalSecondaryIndex["TaskItem"]):
    class Meta:
        index_name = "by_client"
        projection = AllProjection()

    client_id = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class _OpenWork(GlobalSecondaryIndex["TaskItem"]):
    class Meta:
        index_name = "open_work"
        projection = AllProjection()

    open_owner = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class _Schedule(GlobalSecondaryIndex["EntryItem"]):
    class Meta:
        index_name = "schedule"
        projection = AllProjection()

    schedule_shard = UnicodeAttribute(hash_key=True)
    create_on = UnicodeAttribute(range_key=True)


class TaskItem(CallbacksItem):
    callback_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    client_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    owner = UnicodeAttribute(null=True)
    open_owner = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute()
    due_key = UnicodeAttribute()
    status = UnicodeAttribute()
    source = UnicodeAttribute(null=True)
    rules_version = UnicodeAttribute()
    created_at = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    unreached = NumberAttribute(default=0)
    excluded = ListAttribute(of=UnicodeAttribute, default=list)
    due_provisional = BooleanAttribute(default=False)
    finished_at = UnicodeAttribute(null=True)
    attitude = UnicodeAttribute(null=True)
    score = NumberAttribute(null=True)
    version = VersionAttribute()
    by_branch = _ByBranch()
    by_client = _ByClient()
    open_work = _OpenWork()


class AttemptItem(CallbacksItem):
    callback_id = UnicodeAttribute()
    client_id = UnicodeAttribute()  # so the audit trail files the attempt under its client
    number = NumberAttribute()
    by = UnicodeAttribute()
    role = UnicodeAttribute()
    at = UnicodeAttribute()
    reached = BooleanAttribute()
    solved = BooleanAttribute(null=True)
    attitude = UnicodeAttribute(null=True)
    score = NumberAttribute(null=True)
    suggestions = UnicodeAttribute(null=True)
    risk_reminder = BooleanAttribute(null=True)
    next_at = UnicodeAttribute(null=True)


class EntryItem(CallbacksItem):
    kind = UnicodeAttribute()
    subject = UnicodeAttribute()
    client_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    schedule_shard = UnicodeAttribute(null=True)
    create_on = UnicodeAttribute(null=True)
    due_on = UnicodeAttribute(null=True)
    event_at = UnicodeAttribute(null=True)
    source = UnicodeAttribute(null=True)
    excluded = ListAttribute(of=UnicodeAttribute, default=list)
    anchor_on = UnicodeAttribute(null=True)
    client_class = UnicodeAttribute(null=True)
    open_task = UnicodeAttribute(null=True)
    version = VersionAttribute()
    schedule = _Schedule()


# --- tasks ---------------------------------------------------------------------------------------


def task_pk(callback_id: str) -> str:
    return f"CALLBACK#{callback_id}"


def pool_of(branch_id: str) -> str:
    return f"POOL#{branch_id}"


def _due_key(task: CallbackTask) -> str:
    return f"{iso(task.due_at)}#{task.callback_id}"


def _open_owner(task: CallbackTask) -> str | None:
    if not task.is_open:
        return None
    return task.owner or pool_of(task.branch_id)


def task_item(task: CallbackTask) -> TaskItem:
    item = TaskItem(
        pk=task_pk(task.callback_id),
        sk=TASK,
        callback_id=task.callback_id,
        kind=task.kind.value,
        client_id=task.client_id,
        branch_id=task.branch_id,
        manager_id=task.manager_id,
        owner=task.owner,
        open_owner=_open_owner(task),
        due_at=iso(task.due_at),
        due_key=_due_key(task),
        status=task.status.value,
        source=task.source,
        rules_version=task.rules_version,
        created_at=iso(task.created_at),
        attempts=task.attempts,
        unreached=task.unreached,
        excluded=list(task.excluded),
        due_provisional=task.due_provisional,
        finished_at=iso(task.finished_at) if task.finished_at else None,
        attitude=task.attitude.value if task.attitude else None,
        score=task.score,
    )
    if task.version is not None:
        item.version = task.version
    return item


def task_from(item: TaskItem) -> CallbackTask:
    return CallbackTask(
        callback_id=item.callback_id,
        kind=Kind(item.kind),
        client_id=item.client_id,
        branch_id=item.branch_id,
        manager_id=item.manager_id,
        owner=item.owner,
        due_at=parse_iso(item.due_at),
        status=TaskStatus(item.status),
        source=item.source,
        rules_version=item.rules_version,
        created_at=parse_iso(item.created_at),
        attempts=int(item.attempts or 0),
        unreached=int(item.unreached or 0),
        excluded=tuple(str(name) for name in item.excluded or ()),
        due_provisional=bool(item.due_provisional),
        finished_at=parse_iso(item.finished_at) if item.finished_at else None,
        attitude=Attitude(item.attitude) if item.attitude else None,
        score=int(item.score) if item.score is not None else None,
        version=item.version,
    )


def task_from_image(image: dict[str, Any]) -> CallbackTask:
    """A task as a DynamoDB stream record carries it."""
    return task_from(TaskItem.from_raw_data(image))


def get(callback_id: str) -> CallbackTask | None:
    try:
        return task_from(TaskItem.get(task_pk(callback_id), TASK, consistent_read=True))
    except TaskItem.DoesNotExist:
        return None


def attempts(callback_id: str) -> list[Attempt]:
    """What each attempt recorded, oldest first."""
    return [
        Attempt(
            callback_id=item.callback_id,
            number=int(item.number),
            by=item.by,
            role=Role(item.role),
            at=parse_iso(item.at),
            reached=bool(item.reached),
            solved=item.solved,
            attitude=Attitude(item.attitude) if item.attitude else None,
            score=int(item.score) if item.score is not None else None,
            suggestions=item.suggestions,
            risk_reminder=item.risk_reminder,
            next_at=parse_iso(item.next_at) if item.next_at else None,
        )
        for item in AttemptItem.query(task_pk(callback_id), AttemptItem.sk.startswith("ATTEMPT#"), consistent_read=True)
    ]


def _task_actions(task: CallbackTask, stamp: Stamp) -> list[Action]:
    """Set the task's changing fields to what `task` says (its identity never changes)."""
    return [
        set_or_remove(TaskItem.owner, task.owner),
        set_or_remove(TaskItem.open_owner, _open_owner(task)),
        TaskItem.due_at.set(iso(task.due_at)),
        TaskItem.due_key.set(_due_key(task)),
        TaskItem.status.set(task.status.value),
        TaskItem.attempts.set(task.attempts),
        TaskItem.unreached.set(task.unreached),
        set_or_remove(TaskItem.finished_at, iso(task.finished_at) if task.finished_at else None),
        set_or_remove(TaskItem.attitude, task.attitude.value if task.attitude else None),
        set_or_remove(TaskItem.score, task.score),
        *stamp_actions(TaskItem, stamp),
    ]


def _attempt_item(attempt: Attempt, client_id: str) -> AttemptItem:
    return AttemptItem(
        pk=task_pk(attempt.callback_id),
        sk=f"ATTEMPT#{attempt.number:03d}",
        callback_id=attempt.callback_id,
        client_id=client_id,
        number=attempt.number,
        by=attempt.by,
        role=attempt.role.value,
        at=iso(attempt.at),
        reached=attempt.reached,
        solved=attempt.solved,
        attitude=attempt.attitude.value if attempt.attitude else None,
        score=attempt.score,
        suggestions=attempt.suggestions,
        risk_reminder=attempt.risk_reminder,
        next_at=iso(attempt.next_at) if attempt.next_at else None,
    )


Part = Callable[[TransactWrite], None]
"""A write another repository adds to a transaction of this one (e.g. the complaint a
post-complaint callback completes), opaque to the services that pass it along."""


def record_attempt(before: CallbackTask, after: CallbackTask, attempt: Attempt, *, parts: Sequence[Part] = ()) -> None:
    """The attempt and the task as it leaves it, atomically and only from the version it was read
    at, with what the attempt moves elsewhere (`parts`) in the same transaction; 409 when any of
    it changed meanwhile."""
    stamp = Stamp(by=attempt.by, reason=f"callback attempt {attempt.number}", at=attempt.at)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(task_item(before), actions=_task_actions(after, stamp))
            transaction.save(_attempt_item(attempt, before.client_id), condition=CallbacksItem.sk.does_not_exist())
            for part in parts:
                part(transaction)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict(f"callback {before.callback_id} changed meanwhile; reload it", field="callback_id") from None
        raise


def change(before: CallbackTask, after: CallbackTask, stamp: Stamp) -> None:
    """The task's new owner, status or due time, from the version it was read at (409 otherwise)."""
    try:
        task_item(before).update(actions=_task_actions(after, stamp))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"callback {before.callback_id} changed meanwhile; reload it", field="callback_id") from None
        raise


def open_tasks_of(client_id: str) -> list[CallbackTask]:
    return [
        task_from(item)
        for item in TaskItem.by_client.query(client_id, filter_condition=TaskItem.status == TaskStatus.OPEN.value)
    ]


def listing(
    *,
    branch_id: str,
    client_id: str | None,
    owner: str | None,
    pool: bool,
    kind: str | None,
    statuses: Collection[str] | None,
    manager_or_owner: str | None,
    due_before: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[CallbackTask], str | None]:
    """A page of a branch's tasks, due first: from the open-work index for open work (only) of an
    owner or the pool, from a client's tasks, or from the branch's."""
    condition = None

    def narrow(extra: Any) -> None:
        nonlocal condition
        condition = extra if condition is None else condition & extra

    range_condition = TaskItem.due_key < iso(due_before) + "~" if due_before else None
    only_open = statuses is not None and set(statuses) == {TaskStatus.OPEN.value}
    if (owner is not None or pool) and only_open and client_id is None:
        index: Any = TaskItem.open_work
        partition = pool_of(branch_id) if pool else owner
        narrow(TaskItem.branch_id == branch_id)
    elif client_id is not None:
        index, partition = TaskItem.by_client, client_id
        narrow(TaskItem.branch_id == branch_id)
    else:
        index, partition = TaskItem.by_branch, branch_id
    if owner is not None:
        narrow(TaskItem.owner == owner)
    if pool:
        narrow(TaskItem.owner.does_not_exist())
    if kind is not None:
        narrow(TaskItem.kind == kind)
    if statuses is not None:
        narrow(TaskItem.status.is_in(*statuses))
    if manager_or_owner is not None:
        narrow((TaskItem.manager_id == manager_or_owner) | (TaskItem.owner == manager_or_owner))
    pages = index.query(
        partition,
        range_condition,
        filter_condition=condition,
        limit=limit,
        page_size=read_ahead(limit),
        last_evaluated_key=decode_cursor(cursor, listing := f"callbacks:{index.Meta.index_name}:{partition}"),
    )
    return [task_from(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


# --- the schedule ----------------------------------------------------------------------------------


def _subject_type(kind: Kind) -> str:
    return {Kind.POST_COMPLAINT: "COMPLAINT", Kind.POST_CLOSURE: "CASE"}.get(kind, "CLIENT")


def entry_pk(kind: Kind, subject: str) -> str:
    return f"SCHEDULE#{_subject_type(kind)}#{subject}"


def _shard(entry: ScheduleEntry) -> str:
    return f"{entry.kind.value}#{shard_of(entry.subject, SCHEDULE_SHARDS)}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def entry_item(entry: ScheduleEntry) -> EntryItem:
    item = EntryItem(
        pk=entry_pk(entry.kind, entry.subject),
        sk=entry.kind.value,
        kind=entry.kind.value,
        subject=entry.subject,
        client_id=entry.client_id,
        branch_id=entry.branch_id,
        manager_id=entry.manager_id,
        schedule_shard=_shard(entry) if entry.create_on else None,
        create_on=_day(entry.create_on),
        due_on=_day(entry.due_on),
        event_at=iso(entry.event_at) if entry.event_at else None,
        source=entry.source,
        excluded=list(entry.excluded),
        anchor_on=_day(entry.anchor_on),
        client_class=entry.client_class,
        open_task=entry.open_task,
    )
    if entry.version is not None:
        item.version = entry.version
    return item


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def entry_from(item: EntryItem) -> ScheduleEntry:
    return ScheduleEntry(
        kind=Kind(item.kind),
        subject=item.subject,
        client_id=item.client_id,
        branch_id=item.branch_id,
        manager_id=item.manager_id,
        create_on=_date(item.create_on),
        due_on=_date(item.due_on),
        event_at=parse_iso(item.event_at) if item.event_at else None,
        source=item.source,
        excluded=tuple(str(name) for name in item.excluded or ()),
        anchor_on=_date(item.anchor_on),
        client_class=item.client_class,
        open_task=item.open_task,
        version=item.version,
    )


def client_entries(client_id: str) -> dict[Kind, ScheduleEntry]:
    """A client's entries (new_account, periodic, care) from one query of its collection."""
    items = EntryItem.query(entry_pk(Kind.PERIODIC, client_id), consistent_read=True)
    return {entry.kind: entry for entry in map(entry_from, items)}


def entry(kind: Kind, subject: str) -> ScheduleEntry | None:
    try:
        return entry_from(EntryItem.get(entry_pk(kind, subject), kind.value, consistent_read=True))
    except EntryItem.DoesNotExist:
        return None


def put_entry(entry: ScheduleEntry, stamp: Stamp) -> bool:
    """Write an entry as derived from the version it was read at (a new one: where none is); False
    when it changed meanwhile (the caller derives it again)."""
    try:
        stamped(entry_item(entry), stamp).save()
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def delete_entry(entry: ScheduleEntry) -> bool:
    """Remove an entry, from the version it was read at; False when it changed meanwhile."""
    try:
        entry_item(entry).delete()
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def entry_part(entry: ScheduleEntry, stamp: Stamp) -> Part:
    """An entry's new state (from the version it was read at) as part of another transaction."""

    def add(transaction: TransactWrite) -> None:
        transaction.save(stamped(entry_item(entry), stamp))

    return add


def due_entries(kind: Kind, day: date) -> Iterator[ScheduleEntry]:
    """Entries of `kind` whose creation day is `day` or earlier, from the sparse index."""
    for shard in range(SCHEDULE_SHARDS):
        for item in EntryItem.schedule.query(f"{kind.value}#{shard}", EntryItem.create_on <= day.isoformat()):
            yield entry_from(item)


class CreationResult:
    CREATED = "created"
    EXISTED = "existed"  # an earlier run created it: only the entry moved on
    CLIENT_LEFT = "client_left"
    RACED = "raced"  # the entry changed meanwhile


def create_task(
    task: CallbackTask | None,
    entry: ScheduleEntry,
    entry_after: ScheduleEntry | None,
    *,
    needs_active_client: bool,
    now: datetime,
) -> str:
    """Create the task an entry brings and move the entry on, in one transaction: the task only
    where none has that id, the entry only from the version it was read at, and (for a client's
    callbacks) only while the client is active. Which condition failed says what happened."""
    stamp = Stamp(by=SYSTEM_JOB, reason="callback created" if task else "schedule moved on", at=now)
    check_client = needs_active_client and task is not None
    parts = [name for name, wanted in (("task", task is not None), ("entry", True), ("client", check_client)) if wanted]
    try:
        with TransactWrite(connection=connection()) as transaction:
            if task is not None:
                transaction.save(stamped(task_item(task), stamp), condition=CallbacksItem.pk.does_not_exist())
            _move_entry(transaction, entry, entry_after, stamp)
            if check_client:
                transaction.condition_check(
                    ProfileItem,
                    client_pk(entry.client_id),
                    PROFILE,
                    condition=ProfileItem.status.does_not_exist() | (ProfileItem.status == ClientStatus.ACTIVE.value),
                )
    except TransactWriteError as exc:
        if not lost_to_a_condition(exc):
            raise
        failed = {
            name
            for name, reason in zip(parts, exc.cancellation_reasons, strict=False)
            if reason is not None and reason.code == "ConditionalCheckFailed"
        }
        if "entry" in failed or not failed:
            return CreationResult.RACED
        if "client" in failed:
            delete_entry(entry)
            return CreationResult.CLIENT_LEFT
        with TransactWrite(connection=connection()) as transaction:  # the task existed
            _move_entry(transaction, entry, entry_after, stamp)
        return CreationResult.EXISTED
    return CreationResult.CREATED


def _move_entry(
    transaction: TransactWrite, entry: ScheduleEntry, entry_after: ScheduleEntry | None, stamp: Stamp
) -> None:
    if entry_after is None:
        transaction.delete(entry_item(entry))
    else:
        transaction.save(stamped(entry_item(entry_after), stamp))


def create_sample_task(task: CallbackTask, *, now: datetime) -> bool:
    """A sample callback, unless one exists already or the client left since the draw."""
    stamp = Stamp(by=SYSTEM_JOB, reason="sample callback created", at=now)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(stamped(task_item(task), stamp), condition=CallbacksItem.pk.does_not_exist())
            transaction.condition_check(
                ProfileItem,
                client_pk(task.client_id),
                PROFILE,
                condition=ProfileItem.status.does_not_exist() | (ProfileItem.status == ClientStatus.ACTIVE.value),
            )
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def open_due_by(owner: str, moment: datetime) -> list[CallbackTask]:
    """The open tasks of an owner (a person, or a branch's pool: `pool_of`) due by `moment`, due
    first: one query of the sparse `open_work` index."""
    return [task_from(item) for item in TaskItem.open_work.query(owner, TaskItem.due_key < iso(moment) + "~")]
