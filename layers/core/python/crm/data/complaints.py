"""Complaint records (COMPLAINT), their state history, callbacks and the monthly number counter.

The number TS-YYMM-NNNN is taken from a counter per Beijing month in the same transaction that
stores the complaint and starts its clocks: the counter moves only when the complaint is
stored, so numbers are gap-free, and two intakes racing for a number cannot both win it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from crm.data import clocks as clock_data
from crm.data.base import connection, lost_to_a_condition, stamp_actions
from crm.data.service import ByBranch, ServiceItem, branch_page, complaint_pk
from crm.domain.access import Role
from crm.domain.attitude import Attitude
from crm.domain.audit import Stamp
from crm.domain.complaints import (
    CallbackResult,
    Category,
    Channel,
    Complaint,
    Status,
    Transition,
    TransitionPlan,
    Validity,
)
from crm.domain.sla import Clock
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict

RECORD = "COMPLAINT"
MAX_NUMBERING_ATTEMPTS = 10


class _CounterItem(ServiceItem):
    serial = NumberAttribute()


class _ComplaintItem(ServiceItem):
    complaint_no = UnicodeAttribute()
    client_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    channel = UnicodeAttribute()
    category = UnicodeAttribute()
    content = UnicodeAttribute()
    received_at = UnicodeAttribute()
    recorded_by = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    status = UnicodeAttribute()
    investigate_due_at = UnicodeAttribute()
    reply_due_at = UnicodeAttribute()
    deadline_provisional = BooleanAttribute(default=False)
    regulator_referral = BooleanAttribute(default=False)
    referral_ref = UnicodeAttribute(null=True)
    about_staff = ListAttribute(of=UnicodeAttribute, default=list)
    validity = UnicodeAttribute(null=True)
    failed_callbacks = NumberAttribute(default=0)
    satisfaction = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_branch = ByBranch()


class _TransitionItem(ServiceItem):
    complaint_no = UnicodeAttribute()
    source = UnicodeAttribute()
    target = UnicodeAttribute()
    by = UnicodeAttribute()
    role = UnicodeAttribute()
    note = UnicodeAttribute()
    at = UnicodeAttribute()
    reached = BooleanAttribute(null=True)
    satisfaction = UnicodeAttribute(null=True)
    score = NumberAttribute(null=True)
    callback_note = UnicodeAttribute(null=True)


def counter_pk(month: str) -> str:
    return f"COUNTER#complaints#{month}"


def _item(complaint: Complaint) -> _ComplaintItem:
    item = _ComplaintItem(
        pk=complaint_pk(complaint.complaint_no),
        sk=RECORD,
        complaint_no=complaint.complaint_no,
        client_id=complaint.client_id,
        branch_id=complaint.branch_id,
        listed_at=f"COMPLAINT#{iso(complaint.received_at)}#{complaint.complaint_no}",
        channel=complaint.channel.value,
        category=complaint.category.value,
        content=complaint.content,
        received_at=iso(complaint.received_at),
        recorded_by=complaint.recorded_by,
        manager_id=complaint.manager_id,
        status=complaint.status.value,
        investigate_due_at=iso(complaint.investigate_due_at),
        reply_due_at=iso(complaint.reply_due_at),
        deadline_provisional=complaint.deadline_provisional,
        regulator_referral=complaint.regulator_referral,
        referral_ref=complaint.referral_ref,
        about_staff=list(complaint.about_staff),
        validity=complaint.validity.value if complaint.validity else None,
        failed_callbacks=complaint.failed_callbacks,
        satisfaction=complaint.satisfaction.value if complaint.satisfaction else None,
    )
    if complaint.version is not None:
        item.version = complaint.version
    return item


def _complaint(item: _ComplaintItem) -> Complaint:
    return Complaint(
        complaint_no=item.complaint_no,
        client_id=item.client_id,
        branch_id=item.branch_id,
        channel=Channel(item.channel),
        category=Category(item.category),
        content=item.content,
        received_at=parse_iso(item.received_at),
        recorded_by=item.recorded_by,
        manager_id=item.manager_id,
        status=Status(item.status),
        investigate_due_at=parse_iso(item.investigate_due_at),
        reply_due_at=parse_iso(item.reply_due_at),
        deadline_provisional=bool(item.deadline_provisional),
        regulator_referral=bool(item.regulator_referral),
        referral_ref=item.referral_ref,
        about_staff=tuple(str(name) for name in item.about_staff or ()),
        validity=Validity(item.validity) if item.validity else None,
        failed_callbacks=int(item.failed_callbacks or 0),
        satisfaction=Attitude(item.satisfaction) if item.satisfaction else None,
        version=item.version,
    )


def _transition_item(transition: Transition, sequence: int) -> _TransitionItem:
    """A history entry keyed by the complaint version it produced: ordered, and one per version."""
    callback = transition.callback
    return _TransitionItem(
        pk=complaint_pk(transition.complaint_no),
        sk=f"TRANSITION#{sequence:06d}",
        complaint_no=transition.complaint_no,
        source=transition.source.value,
        target=transition.target.value,
        by=transition.by,
        role=transition.role.value,
        note=transition.note,
        at=iso(transition.at),
        reached=callback.reached if callback else None,
        satisfaction=callback.satisfaction.value if callback and callback.satisfaction else None,
        score=callback.score if callback else None,
        callback_note=callback.note if callback else None,
    )


def _transition(item: _TransitionItem) -> Transition:
    callback = None
    if item.reached is not None:
        callback = CallbackResult(
            reached=bool(item.reached),
            satisfaction=Attitude(item.satisfaction) if item.satisfaction else None,
            score=int(item.score) if item.score is not None else None,
            note=item.callback_note,
        )
    return Transition(
        complaint_no=item.complaint_no,
        source=Status(item.source),
        target=Status(item.target),
        by=item.by,
        role=Role(item.role),
        note=item.note,
        at=parse_iso(item.at),
        callback=callback,
    )


def create_numbered(month: str, build: Callable[[int], tuple[Complaint, list[Clock], Transition]]) -> Complaint:
    """Take the month's next serial and store the complaint, its clocks and first history entry
    with it, atomically; retried when another intake took the serial first."""
    for _ in range(MAX_NUMBERING_ATTEMPTS):
        try:
            current = int(_CounterItem.get(counter_pk(month), "COUNTER", consistent_read=True).serial)
        except _CounterItem.DoesNotExist:
            current = 0
        complaint, clocks, first = build(current + 1)
        counter = _CounterItem(pk=counter_pk(month), sk="COUNTER")
        taken = _CounterItem.serial.does_not_exist() if current == 0 else (_CounterItem.serial == current)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(counter, actions=[_CounterItem.serial.set(current + 1)], condition=taken)
                transaction.save(_item(complaint), condition=ServiceItem.pk.does_not_exist())
                transaction.save(_transition_item(first, 1), condition=ServiceItem.pk.does_not_exist())
                stamp = Stamp(by=complaint.recorded_by, reason="complaint received", at=first.at)
                for clock in clocks:
                    transaction.save(
                        clock_data.clock_item(clock, stamp, client_id=complaint.client_id),
                        condition=ServiceItem.pk.does_not_exist(),
                    )
        except TransactWriteError as exc:
            if lost_to_a_condition(exc):
                continue
            raise
        return complaint
    raise Conflict("complaint intake is busy; try again")


def complaint_from_image(image: dict[str, Any]) -> tuple[Complaint, datetime]:
    """A complaint as a DynamoDB stream record carries it, and the time of the change it shows."""
    item = _ComplaintItem.from_raw_data(image)
    return _complaint(item), parse_iso(item.changed_at or item.received_at)


def get(complaint_no: str) -> tuple[Complaint, list[Transition]] | None:
    """The complaint and its state history, oldest first, from one query of its collection."""
    try:
        item = _ComplaintItem.get(complaint_pk(complaint_no), RECORD, consistent_read=True)
    except _ComplaintItem.DoesNotExist:
        return None
    history = _TransitionItem.query(
        complaint_pk(complaint_no), _TransitionItem.sk.startswith("TRANSITION#"), consistent_read=True
    )
    return _complaint(item), [_transition(t) for t in history]


def apply_transition(complaint: Complaint, plan: TransitionPlan, open_clocks: list[Clock]) -> None:
    """Move the complaint, keep the move, stop the clocks it meets: all or nothing, and only
    from the version it was read at (two concurrent moves: one wins, one gets 409)."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            _move(transaction, complaint, plan, open_clocks)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict(
                f"complaint {complaint.complaint_no} changed meanwhile; reload it", field="complaint_no"
            ) from None
        raise


def _move(transaction: TransactWrite, complaint: Complaint, plan: TransitionPlan, clocks: list[Clock]) -> None:
    entry = plan.transition
    stamp = Stamp(by=entry.by, reason=entry.note, at=entry.at)
    actions: list[Action] = [_ComplaintItem.status.set(entry.target.value)]
    if plan.validity is not None:
        actions.append(_ComplaintItem.validity.set(plan.validity.value))
    if plan.satisfaction is not None:
        actions.append(_ComplaintItem.satisfaction.set(plan.satisfaction.value))
    transaction.update(_item(complaint), actions=[*actions, *stamp_actions(_ComplaintItem, stamp)])
    transaction.save(_transition_item(entry, (complaint.version or 1) + 1), condition=ServiceItem.pk.does_not_exist())
    for clock in clocks:
        clock_data.stop(transaction, clock, entry.at, stamp)


def callback_done_part(complaint: Complaint, plan: TransitionPlan) -> Callable[[TransactWrite], None]:
    """The complaint's move to `callback_done`, as part of the callback's own transaction."""
    return lambda transaction: _move(transaction, complaint, plan, [])


def unreached_part(complaint: Complaint, count: int, *, by: str, at: datetime) -> Callable[[TransactWrite], None]:
    """Count an unreached attempt of the complaint's callback on the complaint (from the version it
    was read at), as part of the callback's own transaction."""
    stamp = Stamp(by=by, reason=f"post-complaint callback not reached ({count})", at=at)
    return lambda transaction: transaction.update(
        _item(complaint), actions=[_ComplaintItem.failed_callbacks.set(count), *stamp_actions(_ComplaintItem, stamp)]
    )


def for_branch(
    branch_id: str,
    *,
    statuses: Collection[str] | None,
    client_id: str | None,
    manager_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Complaint], str | None]:
    """A branch's complaints, newest first, optionally of some statuses, one client (filtered from
    the branch's listing: no index by client here) or one manager's clients."""
    equal = (
        (_ComplaintItem.status, statuses),
        (_ComplaintItem.client_id, client_id),
        (_ComplaintItem.manager_id, manager_id),
    )
    return branch_page(_ComplaintItem, branch_id, "COMPLAINT#", _complaint, equal=equal, limit=limit, cursor=cursor)
