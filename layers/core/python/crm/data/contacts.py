"""Contact records (CONTACT) in the service table, with the clocks they start."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.data import clocks as clock_data
from crm.data.base import connection, lost_to_a_condition, set_or_remove, stamp_actions
from crm.data.service import ByBranch, ServiceItem, branch_page, contact_pk
from crm.domain.audit import Stamp
from crm.domain.contacts import Contact, ContactChannel, ContactStatus
from crm.domain.sla import Clock
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict

RECORD = "CONTACT"


class _ContactItem(ServiceItem):
    contact_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    channel = UnicodeAttribute()
    subject = UnicodeAttribute()
    received_at = UnicodeAttribute()
    recorded_by = UnicodeAttribute()
    first_responder = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    status = UnicodeAttribute()
    outside_working_hours = BooleanAttribute()
    reply_due_at = UnicodeAttribute(null=True)
    follow_up_due_at = UnicodeAttribute(null=True)
    deadline_provisional = BooleanAttribute(default=False)
    answer = UnicodeAttribute(null=True)
    replied_at = UnicodeAttribute(null=True)
    replied_by = UnicodeAttribute(null=True)
    replied_same_day = BooleanAttribute(null=True)
    version = VersionAttribute()
    by_branch = ByBranch()


def _optional_iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def _item(contact: Contact) -> _ContactItem:
    item = _ContactItem(
        pk=contact_pk(contact.contact_id),
        sk=RECORD,
        contact_id=contact.contact_id,
        client_id=contact.client_id,
        branch_id=contact.branch_id,
        listed_at=f"CONTACT#{iso(contact.received_at)}#{contact.contact_id}",
        channel=contact.channel.value,
        subject=contact.subject,
        received_at=iso(contact.received_at),
        recorded_by=contact.recorded_by,
        first_responder=contact.first_responder,
        manager_id=contact.manager_id,
        status=contact.status.value,
        outside_working_hours=contact.outside_working_hours,
        reply_due_at=_optional_iso(contact.reply_due_at),
        follow_up_due_at=_optional_iso(contact.follow_up_due_at),
        deadline_provisional=contact.deadline_provisional,
        answer=contact.answer,
        replied_at=_optional_iso(contact.replied_at),
        replied_by=contact.replied_by,
        replied_same_day=contact.replied_same_day,
    )
    if contact.version is not None:
        item.version = contact.version
    return item


def contact_from_image(image: dict[str, Any]) -> Contact:
    """A contact as a DynamoDB stream record carries it."""
    return _contact(_ContactItem.from_raw_data(image))


def _contact(item: _ContactItem) -> Contact:
    return Contact(
        contact_id=item.contact_id,
        client_id=item.client_id,
        branch_id=item.branch_id,
        channel=ContactChannel(item.channel),
        subject=item.subject,
        received_at=parse_iso(item.received_at),
        recorded_by=item.recorded_by,
        first_responder=item.first_responder,
        manager_id=item.manager_id,
        status=ContactStatus(item.status),
        outside_working_hours=bool(item.outside_working_hours),
        reply_due_at=parse_iso(item.reply_due_at) if item.reply_due_at else None,
        follow_up_due_at=parse_iso(item.follow_up_due_at) if item.follow_up_due_at else None,
        deadline_provisional=bool(item.deadline_provisional),
        answer=item.answer,
        replied_at=parse_iso(item.replied_at) if item.replied_at else None,
        replied_by=item.replied_by,
        replied_same_day=item.replied_same_day,
        version=item.version,
    )


def create(contact: Contact, clocks: list[Clock], *, at: datetime) -> int:
    """Log the inquiry and start its clocks in one write (`at`: when it was logged); the version
    the inquiry is stored at."""
    record = _item(contact)
    with TransactWrite(connection=connection()) as transaction:
        transaction.save(record, condition=ServiceItem.pk.does_not_exist())
        stamp = Stamp(by=contact.recorded_by, reason="inquiry logged", at=at)
        for clock in clocks:
            transaction.save(
                clock_data.clock_item(clock, stamp, client_id=contact.client_id),
                condition=ServiceItem.pk.does_not_exist(),
            )
    return int(record.version)


def get(contact_id: str) -> Contact | None:
    try:
        return _contact(_ContactItem.get(contact_pk(contact_id), RECORD, consistent_read=True))
    except _ContactItem.DoesNotExist:
        return None


def answer(contact: Contact, answered: Contact, open_clocks: list[Clock], at: datetime) -> None:
    """Record the answer and stop the inquiry's clocks, or 409 when it changed meanwhile."""
    stamp = Stamp(by=answered.replied_by or "", reason="answered", at=at)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                _item(contact),
                actions=[
                    _ContactItem.status.set(answered.status.value),
                    set_or_remove(_ContactItem.answer, answered.answer),
                    set_or_remove(_ContactItem.replied_at, _optional_iso(answered.replied_at)),
                    set_or_remove(_ContactItem.replied_by, answered.replied_by),
                    set_or_remove(_ContactItem.replied_same_day, answered.replied_same_day),
                    *stamp_actions(_ContactItem, stamp),
                ],
            )
            for clock in open_clocks:
                clock_data.stop(transaction, clock, at, stamp)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict(f"inquiry {contact.contact_id} changed meanwhile; reload it") from None
        raise


def for_branch(
    branch_id: str,
    *,
    client_id: str | None,
    statuses: Collection[str] | None,
    owner: str | None,
    managed_or_taken_by: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Contact], str | None]:
    """A branch's contacts, newest first, optionally of one client (filtered from the branch's
    listing: no index by client here), some statuses or one owner, or only those of one manager's
    clients or taken by that manager."""
    equal = (
        (_ContactItem.client_id, client_id),
        (_ContactItem.status, statuses),
        (_ContactItem.first_responder, owner),
    )
    mine = None
    if managed_or_taken_by is not None:
        mine = (_ContactItem.manager_id == managed_or_taken_by) | (_ContactItem.first_responder == managed_or_taken_by)
    return branch_page(
        _ContactItem, branch_id, "CONTACT#", _contact, equal=equal, also=mine, limit=limit, cursor=cursor
    )
