"""Prospective clients in the service table (第32条; DOMAIN §8), with their follow-up clock.

Keys: PROSPECT#<id> / PROSPECT, listed per branch through `by_branch` (listed_at =
PROSPECT#<recorded at>#<id>), and its clock CLOCK#prospect_follow_up beside it, which the SLA
sweep reads like any other: a missed follow-up escalates. The outcome stops the clock.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from crm.data import clocks as clock_data
from crm.data.base import connection, lost_to_a_condition, set_or_remove, stamp_actions, stamped
from crm.data.service import ByBranch, ServiceItem, branch_page, prospect_pk
from crm.domain.audit import Stamp
from crm.domain.prospects import Prospect, ProspectStatus, Source
from crm.domain.sla import Clock
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict

RECORD = "PROSPECT"


class _ProspectItem(ServiceItem):
    prospect_id = UnicodeAttribute()
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    source = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    status = UnicodeAttribute()
    follow_up_due_at = UnicodeAttribute()
    deadline_provisional = BooleanAttribute(default=False)
    recorded_by = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    converted_client_id = UnicodeAttribute(null=True)  # not `client_id`: a prospect is nobody's record yet
    reason = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_branch = ByBranch()


def _item(prospect: Prospect) -> _ProspectItem:
    item = _ProspectItem(
        pk=prospect_pk(prospect.prospect_id),
        sk=RECORD,
        prospect_id=prospect.prospect_id,
        name=prospect.name,
        phone=prospect.phone,
        source=prospect.source.value,
        branch_id=prospect.branch_id,
        manager_id=prospect.manager_id,
        listed_at=f"PROSPECT#{iso(prospect.recorded_at)}#{prospect.prospect_id}",
        status=prospect.status.value,
        follow_up_due_at=iso(prospect.follow_up_due_at),
        deadline_provisional=prospect.deadline_provisional,
        recorded_by=prospect.recorded_by,
        recorded_at=iso(prospect.recorded_at),
    )
    if prospect.version is not None:
        item.version = prospect.version
    return item


def _prospect(item: _ProspectItem) -> Prospect:
    return Prospect(
        prospect_id=item.prospect_id,
        name=item.name,
        phone=item.phone,
        source=Source(item.source),
        branch_id=item.branch_id,
        manager_id=item.manager_id,
        status=ProspectStatus(item.status),
        follow_up_due_at=parse_iso(item.follow_up_due_at),
        deadline_provisional=bool(item.deadline_provisional),
        recorded_by=item.recorded_by,
        recorded_at=parse_iso(item.recorded_at),
        client_id=item.converted_client_id,
        reason=item.reason,
        decided_by=item.decided_by,
        decided_at=parse_iso(item.decided_at) if item.decided_at else None,
        version=item.version,
    )


def prospect_from_image(image: dict[str, Any]) -> Prospect:
    return _prospect(_ProspectItem.from_raw_data(image))


def create(prospect: Prospect, clock: Clock) -> int:
    """The prospect and its follow-up clock, together; the version the prospect is stored at."""
    stamp = Stamp(by=prospect.recorded_by, reason="prospect recorded", at=prospect.recorded_at)
    record = stamped(_item(prospect), stamp)
    with TransactWrite(connection=connection()) as transaction:
        transaction.save(record, condition=ServiceItem.pk.does_not_exist())
        transaction.save(clock_data.clock_item(clock, stamp), condition=ServiceItem.pk.does_not_exist())
    return int(record.version)


def get(prospect_id: str) -> Prospect | None:
    try:
        return _prospect(_ProspectItem.get(prospect_pk(prospect_id), RECORD, consistent_read=True))
    except _ProspectItem.DoesNotExist:
        return None


def decide(before: Prospect, after: Prospect, open_clocks: list[Clock]) -> None:
    """The outcome, and the follow-up clock stopped (it was followed up), atomically."""
    stamp = Stamp(
        by=after.decided_by or "",
        reason=after.reason or f"prospect {after.status}",
        at=after.decided_at or after.recorded_at,
    )
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                _item(before),
                actions=[
                    _ProspectItem.status.set(after.status.value),
                    set_or_remove(_ProspectItem.converted_client_id, after.client_id),
                    set_or_remove(_ProspectItem.reason, after.reason),
                    _ProspectItem.decided_by.set(after.decided_by or ""),
                    _ProspectItem.decided_at.set(iso(after.decided_at) if after.decided_at else ""),
                    *stamp_actions(_ProspectItem, stamp),
                ],
            )
            for clock in open_clocks:
                clock_data.stop(transaction, clock, after.decided_at or before.recorded_at, stamp)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict(f"prospect {before.prospect_id} changed meanwhile; reload it", field="prospect_id") from None
        raise


def for_branch(
    branch_id: str,
    *,
    statuses: Collection[str] | None,
    client_id: str | None,
    manager_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Prospect], str | None]:
    """A branch's prospects, newest first, optionally of some statuses, the one converted to a
    client (filtered from the branch's listing: no index by client here) or one manager's."""
    equal = (
        (_ProspectItem.status, statuses),
        (_ProspectItem.converted_client_id, client_id),
        (_ProspectItem.manager_id, manager_id),
    )
    return branch_page(_ProspectItem, branch_id, "PROSPECT#", _prospect, equal=equal, limit=limit, cursor=cursor)
