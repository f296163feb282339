"""The staff register in the staff table (DOMAIN §11).

Keys: pk = STAFF#<id>; sk = MEMBER (the current state, under optimistic locking: `version`) |
CHANGE#<at>#<n> (each change, with the state before and after, who and why). Listed by branch
through the sparse `by_branch` index and all together through `register` (a member's `register`
attribute is the constant REGISTER). The table's stream feeds the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from crm.data.base import Stamped, connection, decode_cursor, encode_cursor, lost_to_a_condition, meta_for, stamped
from crm.domain.access import Role
from crm.domain.audit import Stamp
from crm.domain.staff import StaffChange, StaffMember, StaffState
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict
from crm.topology import STAFF

MEMBER = "MEMBER"
CHANGE = "CHANGE#"
REGISTER = "STAFF"


def staff_pk(staff_id: str) -> str:
    return f"STAFF#{staff_id}"


class StaffItem(Stamped, Model):
    Meta = meta_for(STAFF)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _ByBranch(GlobalSecondaryIndex["MemberItem"]):
    class Meta:
        index_name = "by_branch"
        projection = AllProjection()

    branch_id = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute(range_key=True)


class _Register(GlobalSecondaryIndex["MemberItem"]):
    class Meta:
        index_name = "register"
        projection = AllProjection()

    register = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute(range_key=True)


class MemberItem(StaffItem):
    staff_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    branch_id = UnicodeAttribute(null=True)
    active = BooleanAttribute()
    email = UnicodeAttribute(null=True)
    register = UnicodeAttribute()
    version = VersionAttribute()
    by_branch = _ByBranch()
    everyone = _Register()


class _StateAttribute(MapAttribute[str, Any]):
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    branch_id = UnicodeAttribute(null=True)
    active = BooleanAttribute()
    email = UnicodeAttribute(null=True)


class ChangeItem(StaffItem):
    staff_id = UnicodeAttribute()
    before = _StateAttribute(null=True)
    after = _StateAttribute()
    by = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


def _state_attribute(state: StaffState) -> _StateAttribute:
    return _StateAttribute(
        name=state.name, role=state.role.value, branch_id=state.branch_id, active=state.active, email=state.email
    )


def _state(attribute: Any) -> StaffState:
    return StaffState(
        name=attribute.name,
        role=Role(attribute.role),
        branch_id=attribute.branch_id,
        active=bool(attribute.active),
        email=attribute.email,
    )


def _member(item: MemberItem) -> StaffMember:
    return StaffMember(
        staff_id=item.staff_id,
        state=_state(item),
        changed_at=parse_iso(item.changed_at) if item.changed_at else datetime.min,
        changed_by=item.changed_by or "",
        version=item.version,
    )


def _member_item(member: StaffMember) -> MemberItem:
    item = MemberItem(
        pk=staff_pk(member.staff_id),
        sk=MEMBER,
        staff_id=member.staff_id,
        name=member.name,
        role=member.role.value,
        branch_id=member.branch_id,
        active=member.active,
        email=member.state.email,
        register=REGISTER,
    )
    if member.version is not None:
        item.version = member.version
    return item


def _change(item: ChangeItem) -> StaffChange:
    return StaffChange(
        staff_id=item.staff_id,
        before=_state(item.before) if item.before is not None else None,
        after=_state(item.after),
        by=item.by,
        reason=item.reason,
        at=parse_iso(item.at),
    )


def get(staff_id: str, *, consistent: bool = False) -> StaffMember | None:
    try:
        return _member(MemberItem.get(staff_pk(staff_id), MEMBER, consistent_read=consistent))
    except MemberItem.DoesNotExist:
        return None


def history(staff_id: str) -> list[StaffChange]:
    """A member's changes, newest first."""
    items = ChangeItem.query(staff_pk(staff_id), ChangeItem.sk.startswith(CHANGE), scan_index_forward=False)
    return [_change(item) for item in items]


def put(member: StaffMember, change: StaffChange) -> StaffMember:
    """Write the member under the version it was read at, with its history entry, atomically;
    409 when someone changed it meanwhile."""
    item = stamped(_member_item(member), Stamp(by=change.by, reason=change.reason, at=change.at))
    entry = ChangeItem(
        pk=staff_pk(member.staff_id),
        sk=f"{CHANGE}{iso(change.at)}#{(member.version or 0) + 1:06d}",
        staff_id=member.staff_id,
        before=_state_attribute(change.before) if change.before else None,
        after=_state_attribute(change.after),
        by=change.by,
        reason=change.reason,
        at=iso(change.at),
    )
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(item)
            transaction.save(entry, condition=ChangeItem.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict(f"staff member {member.staff_id} changed meanwhile; reload and try again") from None
        raise
    return StaffMember(
        staff_id=member.staff_id,
        state=member.state,
        changed_at=change.at,
        changed_by=change.by,
        version=(member.version or 0) + 1,
    )


def listing(
    *, branch_id: str | None, role: Role | None, active: bool | None, limit: int, cursor: str | None
) -> tuple[list[StaffMember], str | None]:
    """One page of the register, by staff id: a branch's members, or everyone's."""
    condition = None
    for attribute, value in ((MemberItem.role, role.value if role else None), (MemberItem.active, active)):
        if value is not None:
            condition = (attribute == value) if condition is None else condition & (attribute == value)
    index: Any = MemberItem.by_branch if branch_id is not None else MemberItem.everyone
    partition = branch_id if branch_id is not None else REGISTER
    pages = index.query(
        partition,
        filter_condition=condition,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, listing := f"staff:{index.Meta.index_name}:{partition}"),
    )
    return [_member(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)
