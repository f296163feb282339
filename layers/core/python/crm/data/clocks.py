"""Deadlines (CLOCK#), breach records (BREACH#) and escalations (ESCALATION#) in the service table.

An open clock carries `open_clock` and `due_key`, which put it in the sparse `open_clocks`
index; stopping it, or escalating it to the last level, removes them. A provisional clock
carries `provisional_year` while its deadline waits for that year's calendar. Until it is
stopped, a clock is also someone's work (DOMAIN §12 «My work»): `work_owner` (its assignee, or
its branch's pool when no one is named: a complaint's) and `work_due` put it in the sparse `work`
index, so each person's list for a day is one query of what is theirs and due.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.transactions import TransactWrite

from crm.data.base import connection, lost_to_a_condition, stamp_actions, stamped
from crm.data.service import ByBranch, ServiceItem, branch_page, owner_pk
from crm.domain.audit import Stamp
from crm.domain.sla import Breach, Clock, ClockKind, Escalation, Level, steps_to, who_must_act
from crm.domain.time import iso, parse_iso

OPEN = "OPEN"
SYSTEM_SWEEP = "system:sla-sweep"
SYSTEM_DEADLINES = "system:deadlines"


class _OpenClocks(GlobalSecondaryIndex["ClockItem"]):
    class Meta:
        index_name = "open_clocks"
        projection = AllProjection()

    open_clock = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class _Work(GlobalSecondaryIndex["ClockItem"]):
    class Meta:
        index_name = "work"
        projection = AllProjection()

    work_owner = UnicodeAttribute(hash_key=True)
    work_due = UnicodeAttribute(range_key=True)


class _ProvisionalClocks(GlobalSecondaryIndex["ClockItem"]):
    class Meta:
        index_name = "provisional_clocks"
        projection = AllProjection()

    provisional_year = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class ClockItem(ServiceItem):
    owner_type = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    started_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    provisional = BooleanAttribute(default=False)
    unknown_years = ListAttribute[Any](default=list)  # years (numbers) no calendar was known for
    assignee = UnicodeAttribute(null=True)
    manager_id = UnicodeAttribute(null=True)
    met_at = UnicodeAttribute(null=True)
    escalation = UnicodeAttribute(null=True)
    open_clock = UnicodeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    provisional_year = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)  # when its DeadlineProvisional alert went out
    client_id = UnicodeAttribute(null=True)  # the contact's or complaint's client (none for a prospect)
    work_owner = UnicodeAttribute(null=True)
    work_due = UnicodeAttribute(null=True)
    version = VersionAttribute()
    open_clocks = _OpenClocks()
    provisional_clocks = _ProvisionalClocks()
    work = _Work()


class BreachItem(ServiceItem):
    owner_type = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    detected_at = UnicodeAttribute()
    met_at = UnicodeAttribute(null=True)  # set when the work was done, late
    assignee = UnicodeAttribute(null=True)
    manager_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)  # the contact's or complaint's client: breaches are listed by client
    by_branch = ByBranch()


class EscalationItem(ServiceItem):
    owner_type = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    level = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    due_at = UnicodeAttribute()
    at = UnicodeAttribute()
    escalate_to_role = UnicodeAttribute(null=True)
    escalate_to_user = UnicodeAttribute(null=True)
    escalate_to_branch = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)  # when its event went out


def clock_sk(kind: ClockKind) -> str:
    return f"CLOCK#{kind.value}"


def _due_key(clock: Clock) -> str:
    return f"{iso(clock.due_at)}#{clock.owner_type}#{clock.owner_id}#{clock.kind.value}"


def work_owner(clock: Clock) -> str:
    """Whose work an open clock is: its assignee's, or its branch's pool's (its supervisors')."""
    return clock.assignee or branch_pool(clock.branch_id)


def branch_pool(branch_id: str) -> str:
    return f"POOL#{branch_id}"


def clock_item(clock: Clock, stamp: Stamp, *, client_id: str | None = None) -> ClockItem:
    """The item of a newly started clock: open, and provisional when its calendar is unknown."""
    item = ClockItem(
        pk=owner_pk(clock.owner_type, clock.owner_id),
        sk=clock_sk(clock.kind),
        owner_type=clock.owner_type,
        owner_id=clock.owner_id,
        kind=clock.kind.value,
        branch_id=clock.branch_id,
        started_at=iso(clock.started_at),
        due_at=iso(clock.due_at),
        provisional=clock.provisional,
        unknown_years=sorted(clock.unknown_years),
        assignee=clock.assignee,
        manager_id=clock.manager_id,
        open_clock=OPEN,
        due_key=_due_key(clock),
        provisional_year=str(min(clock.unknown_years)) if clock.unknown_years else None,
        client_id=client_id,
        work_owner=work_owner(clock),
        work_due=_due_key(clock),
    )
    return stamped(item, stamp)


def clock_from_image(image: dict[str, Any]) -> Clock:
    """A clock as a DynamoDB stream record carries it (DynamoDB JSON)."""
    return clock_from(ClockItem.from_raw_data(image))


def escalation_from_image(image: dict[str, Any]) -> Escalation:
    item = EscalationItem.from_raw_data(image)
    return Escalation(
        owner_type=item.owner_type,
        owner_id=item.owner_id,
        kind=ClockKind(item.kind),
        branch_id=item.branch_id,
        due_at=parse_iso(item.due_at),
        level=Level(item.level),
        at=parse_iso(item.at),
        escalate_to={
            "role": item.escalate_to_role,
            "user": item.escalate_to_user,
            "branch_id": item.escalate_to_branch,
        },
    )


def clock_from(item: ClockItem) -> Clock:
    return Clock(
        owner_type=item.owner_type,
        owner_id=item.owner_id,
        kind=ClockKind(item.kind),
        branch_id=item.branch_id,
        started_at=parse_iso(item.started_at),
        due_at=parse_iso(item.due_at),
        provisional=bool(item.provisional),
        unknown_years=frozenset(int(y) for y in item.unknown_years or ()),
        assignee=item.assignee,
        manager_id=item.manager_id,
        met_at=parse_iso(item.met_at) if item.met_at else None,
        escalation=Level(item.escalation) if item.escalation else None,
        version=item.version,
    )


def _existing(clock: Clock) -> ClockItem:
    """An item standing for a stored clock, for conditional updates under its version."""
    item = ClockItem(pk=owner_pk(clock.owner_type, clock.owner_id), sk=clock_sk(clock.kind))
    if clock.version is not None:
        item.version = clock.version
    return item


def stop(transaction: TransactWrite, clock: Clock, met_at: datetime, stamp: Stamp) -> None:
    """Stop an open clock inside the caller's transaction (the work it measured is done)."""
    transaction.update(
        _existing(clock),
        actions=[
            ClockItem.met_at.set(iso(met_at)),
            ClockItem.open_clock.remove(),
            ClockItem.due_key.remove(),
            ClockItem.work_owner.remove(),
            ClockItem.work_due.remove(),
            *stamp_actions(ClockItem, stamp),
        ],
        condition=ClockItem.met_at.does_not_exist(),
    )


def clocks_of(owner_type: str, owner_id: str, *, consistent: bool = True) -> list[Clock]:
    return [
        clock_from(item)
        for item in ClockItem.query(
            owner_pk(owner_type, owner_id), ClockItem.sk.startswith("CLOCK#"), consistent_read=consistent
        )
    ]


def open_clocks_due_before(moment: datetime) -> Iterator[Clock]:
    """Open clocks due before `moment`, earliest first, from the sparse index (never a scan)."""
    for item in ClockItem.open_clocks.query(OPEN, ClockItem.due_key < iso(moment) + "~"):
        yield clock_from(item)


def provisional_clocks(year: int) -> Iterator[Clock]:
    for item in ClockItem.provisional_clocks.query(str(year)):
        yield clock_from(item)


def escalate(clock: Clock, level: Level, at: datetime) -> bool:
    """Raise an open clock to `level` with a record of each level passed (and, past due, its
    breach record).

    Conditioned on the level the decision was made from: a second sweep, or one running at the
    same time, writes nothing. Returns True when this call escalated.
    """
    actions: list[Action] = [
        ClockItem.escalation.set(level.value),
        *stamp_actions(ClockItem, Stamp(by=SYSTEM_SWEEP, reason=f"escalated to {level.value}", at=at)),
    ]
    if level is Level.HQ:  # nothing left to escalate: leave the sweep's index
        actions += [ClockItem.open_clock.remove(), ClockItem.due_key.remove()]
    current = (
        ClockItem.escalation.does_not_exist()
        if clock.escalation is None
        else (ClockItem.escalation == clock.escalation.value)
    )
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(_existing(clock), actions=actions, condition=current & ClockItem.met_at.does_not_exist())
            for step in steps_to(clock.escalation, level):
                transaction.save(_escalation_item(clock, step, at), condition=ServiceItem.sk.does_not_exist())
                if step is Level.SUPERVISOR:
                    transaction.save(_breach_item(clock, at), condition=ServiceItem.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def record_late_breach(clock: Clock, at: datetime) -> bool:
    """A clock stopped after its deadline: the breach record and the supervisor's escalation, once."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(_breach_item(clock, at), condition=ServiceItem.sk.does_not_exist())
            transaction.save(_escalation_item(clock, Level.SUPERVISOR, at), condition=ServiceItem.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False  # already recorded (by the sweep, or by an earlier delivery)
        raise
    return True


class _OwnerClient(ServiceItem):
    """The client a contact or complaint record is about (a prospect is nobody's client yet)."""

    client_id = UnicodeAttribute(null=True)


def _client_of(clock: Clock) -> str | None:
    """The client of the record a clock measures; read when its breach is recorded (rarely), since
    a clock does not carry it."""
    if clock.owner_type not in ("contact", "complaint"):
        return None
    try:
        return _OwnerClient.get(owner_pk(clock.owner_type, clock.owner_id), _RECORD_SK[clock.owner_type]).client_id
    except _OwnerClient.DoesNotExist:
        return None


def _breach_item(clock: Clock, at: datetime) -> BreachItem:
    return BreachItem(
        pk=owner_pk(clock.owner_type, clock.owner_id),
        sk=f"BREACH#{clock.kind.value}",
        owner_type=clock.owner_type,
        owner_id=clock.owner_id,
        kind=clock.kind.value,
        branch_id=clock.branch_id,
        listed_at=f"BREACH#{iso(clock.due_at)}#{clock.owner_id}#{clock.kind.value}",
        due_at=iso(clock.due_at),
        detected_at=iso(at),
        met_at=iso(clock.met_at) if clock.met_at else None,
        assignee=clock.assignee,
        manager_id=clock.manager_id,
        client_id=_client_of(clock),
    )


def _escalation_item(clock: Clock, level: Level, at: datetime) -> EscalationItem:
    target = who_must_act(clock, level)
    return EscalationItem(
        pk=owner_pk(clock.owner_type, clock.owner_id),
        sk=f"ESCALATION#{clock.kind.value}#{level.value}",
        owner_type=clock.owner_type,
        owner_id=clock.owner_id,
        kind=clock.kind.value,
        level=level.value,
        branch_id=clock.branch_id,
        due_at=iso(clock.due_at),
        at=iso(at),
        escalate_to_role=target["role"],
        escalate_to_user=target["user"],
        escalate_to_branch=target["branch_id"],
    )


class _ParentDeadlines(ServiceItem):
    """The deadline fields a contact or complaint record shows, for rescheduling alone."""

    reply_due_at = UnicodeAttribute(null=True)
    follow_up_due_at = UnicodeAttribute(null=True)
    investigate_due_at = UnicodeAttribute(null=True)
    deadline_provisional = BooleanAttribute(null=True)


_PARENT_FIELD = {
    ClockKind.CONTACT_REPLY: _ParentDeadlines.reply_due_at,
    ClockKind.CONTACT_FOLLOW_UP: _ParentDeadlines.follow_up_due_at,
    ClockKind.COMPLAINT_INVESTIGATE: _ParentDeadlines.investigate_due_at,
    ClockKind.COMPLAINT_REPLY: _ParentDeadlines.reply_due_at,
    ClockKind.PROSPECT_FOLLOW_UP: _ParentDeadlines.follow_up_due_at,
}
_RECORD_SK = {"contact": "CONTACT", "complaint": "COMPLAINT", "prospect": "PROSPECT"}


def reschedule(clock: Clock, rescheduled: Clock, *, parent_provisional: bool, at: datetime) -> bool:
    """Move a deadline computed without a calendar to the one computed with it, and show it on
    the contact or complaint; False when the clock changed meanwhile (the caller re-reads)."""
    actions: list[Action] = [
        ClockItem.due_at.set(iso(rescheduled.due_at)),
        ClockItem.provisional.set(rescheduled.provisional),
        ClockItem.unknown_years.set(sorted(rescheduled.unknown_years)),
        *stamp_actions(ClockItem, Stamp(by=SYSTEM_DEADLINES, reason="deadline recomputed on a loaded calendar", at=at)),
    ]
    if rescheduled.unknown_years:
        actions.append(ClockItem.provisional_year.set(str(min(rescheduled.unknown_years))))
    else:
        actions.append(ClockItem.provisional_year.remove())
    if clock.is_open and clock.escalation is not Level.HQ:
        actions.append(ClockItem.due_key.set(_due_key(rescheduled)))
    if clock.is_open:
        actions.append(ClockItem.work_due.set(_due_key(rescheduled)))
    parent = _ParentDeadlines(pk=owner_pk(clock.owner_type, clock.owner_id), sk=_RECORD_SK[clock.owner_type])
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(_existing(clock), actions=actions)
            transaction.update(
                parent,
                actions=[
                    _PARENT_FIELD[clock.kind].set(iso(rescheduled.due_at)),
                    _ParentDeadlines.deadline_provisional.set(parent_provisional),
                    *stamp_actions(
                        _ParentDeadlines,
                        Stamp(by=SYSTEM_DEADLINES, reason="deadline recomputed on a loaded calendar", at=at),
                    ),
                ],
                condition=ServiceItem.pk.exists(),
            )
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def breaches(
    branch_id: str, *, client_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Breach], str | None]:
    """A branch's breach records, latest deadline first, optionally of one client's contacts and
    complaints (filtered from the branch's listing: no index by client here)."""
    equal = ((BreachItem.client_id, client_id),)
    return branch_page(BreachItem, branch_id, "BREACH#", _breach, equal=equal, limit=limit, cursor=cursor)


def breach_from_image(image: dict[str, Any]) -> Breach:
    return _breach(BreachItem.from_raw_data(image))


def _breach(item: BreachItem) -> Breach:
    return Breach(
        owner_type=item.owner_type,
        owner_id=item.owner_id,
        kind=ClockKind(item.kind),
        branch_id=item.branch_id,
        due_at=parse_iso(item.due_at),
        detected_at=parse_iso(item.detected_at),
        met_at=parse_iso(item.met_at) if item.met_at else None,
        assignee=item.assignee,
        manager_id=item.manager_id,
    )


def _announced(model: Any, key: tuple[str, str]) -> bool:
    try:
        return model.get(*key, consistent_read=True).published_at is not None
    except model.DoesNotExist:
        return True  # gone: nothing left to announce


def _mark_announced(model: Any, key: tuple[str, str], at: datetime) -> None:
    """Remember the event went out. The stream is the outbox: a redelivered record whose event
    went out already publishes nothing (a crash between the two can still send it twice).
    Written below the model so as not to touch the record's version."""
    try:
        model._get_connection().update_item(
            *key, actions=[model.published_at.set(iso(at))], condition=model.published_at.does_not_exist()
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def _escalation_key(escalation: Escalation) -> tuple[str, str]:
    return (
        owner_pk(escalation.owner_type, escalation.owner_id),
        f"ESCALATION#{escalation.kind.value}#{escalation.level.value}",
    )


def _clock_key(clock: Clock) -> tuple[str, str]:
    return owner_pk(clock.owner_type, clock.owner_id), clock_sk(clock.kind)


def escalation_announced(escalation: Escalation) -> bool:
    return _announced(EscalationItem, _escalation_key(escalation))


def mark_escalation_announced(escalation: Escalation, at: datetime) -> None:
    _mark_announced(EscalationItem, _escalation_key(escalation), at)


def alert_announced(clock: Clock) -> bool:
    return _announced(ClockItem, _clock_key(clock))


def mark_alert_announced(clock: Clock, at: datetime) -> None:
    _mark_announced(ClockItem, _clock_key(clock), at)


def work_due_by(owner: str, moment: datetime) -> Iterator[tuple[Clock, str | None]]:
    """The open clocks that are `owner`'s work (a person, or a branch's pool) due by `moment`,
    earliest first, each with its client: one query of the sparse `work` index."""
    for item in ClockItem.work.query(owner, ClockItem.work_due < iso(moment) + "~"):
        yield clock_from(item), item.client_id
