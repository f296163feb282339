"""Retention cases (转户/销户 requests, Part 5; DOMAIN §6) in the service table, and what they
change on the client's record, written together.

Keys: pk = CASE#<id>, sk = CASE; listed per branch through `by_branch` (listed_at = CASE#<opened
at>#<id>). Opening a case marks the client's record with it (one open case per client: the mark
is the condition) and puts the client on its branch's at-risk list; the outcome clears the mark
and gives the client its status, in the same transaction as the case.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from crm.data.base import connection, lost_to_a_condition, set_or_remove, stamp_actions, stamped
from crm.data.clients.at_risk import at_risk_actions
from crm.data.clients.items import ProfileItem, profile_item
from crm.data.clients.person import restrict_into, restriction_actions
from crm.data.service import ByBranch, ServiceItem, branch_page
from crm.domain.audit import Stamp
from crm.domain.client import Client, ClientStatus
from crm.domain.retention import (
    CLIENT_STATUS_AFTER,
    CaseKind,
    CaseStatus,
    Outcome,
    Reason,
    RetentionAction,
    RetentionCase,
)
from crm.domain.time import iso, parse_iso

RECORD = "CASE"


class _ActionAttribute(MapAttribute[str, str]):
    action = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UnicodeAttribute()


class _CaseItem(ServiceItem):
    case_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    kind = UnicodeAttribute()
    reason = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    opened_at = UnicodeAttribute()
    opened_by = UnicodeAttribute()
    actions = ListAttribute(of=_ActionAttribute, default=list)
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    outcome_note = UnicodeAttribute(null=True)
    version = VersionAttribute()
    by_branch = ByBranch()


def case_pk(case_id: str) -> str:
    return f"CASE#{case_id}"


def _action(action: RetentionAction) -> _ActionAttribute:
    return _ActionAttribute(action=action.action, note=action.note, by=action.by, at=iso(action.at))


def _item(case: RetentionCase) -> _CaseItem:
    item = _CaseItem(
        pk=case_pk(case.case_id),
        sk=RECORD,
        case_id=case.case_id,
        client_id=case.client_id,
        branch_id=case.branch_id,
        manager_id=case.manager_id,
        listed_at=f"CASE#{iso(case.opened_at)}#{case.case_id}",
        kind=case.kind.value,
        reason=case.reason.value,
        note=case.note,
        status=case.status.value,
        opened_at=iso(case.opened_at),
        opened_by=case.opened_by,
        actions=[_action(a) for a in case.actions],
        decided_at=iso(case.decided_at) if case.decided_at else None,
        decided_by=case.decided_by,
        outcome_note=case.outcome_note,
    )
    if case.version is not None:
        item.version = case.version
    return item


def _case(item: _CaseItem) -> RetentionCase:
    return RetentionCase(
        case_id=item.case_id,
        client_id=item.client_id,
        branch_id=item.branch_id,
        manager_id=item.manager_id,
        kind=CaseKind(item.kind),
        reason=Reason(item.reason),
        note=item.note,
        status=CaseStatus(item.status),
        opened_at=parse_iso(item.opened_at),
        opened_by=item.opened_by,
        actions=tuple(
            RetentionAction(action=a.action, note=a.note, by=a.by, at=parse_iso(a.at)) for a in item.actions or ()
        ),
        decided_at=parse_iso(item.decided_at) if item.decided_at else None,
        decided_by=item.decided_by,
        outcome_note=item.outcome_note,
        version=item.version,
    )


def case_from_image(image: dict[str, Any]) -> RetentionCase:
    """A case as a DynamoDB stream record carries it."""
    return _case(_CaseItem.from_raw_data(image))


def get(case_id: str) -> RetentionCase | None:
    try:
        return _case(_CaseItem.get(case_pk(case_id), RECORD, consistent_read=True))
    except _CaseItem.DoesNotExist:
        return None


class OpenCaseExists(Exception):
    """The client already has an open case (the mark on its record)."""


class ClientChanged(Exception):
    """The client's record changed since it was read; the caller reads it again and retries."""


def open_case(case: RetentionCase, client: Client) -> int:
    """Store the case and mark the client's record with it, atomically; the version the case is
    stored at."""
    marked = replace(client, open_case_id=case.case_id, open_case_kind=case.kind.value)
    stamp = Stamp(by=case.opened_by, reason=f"{case.kind} requested (case {case.case_id})", at=case.opened_at)
    actions: list[Action] = [
        ProfileItem.open_case_id.set(case.case_id),
        ProfileItem.open_case_kind.set(case.kind.value),
        *at_risk_actions(marked),
        *stamp_actions(ProfileItem, stamp),
    ]
    record = stamped(_item(case), stamp)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(record, condition=ServiceItem.pk.does_not_exist())
            transaction.update(
                profile_item(client), actions=actions, condition=ProfileItem.open_case_id.does_not_exist()
            )
    except TransactWriteError as exc:
        if not lost_to_a_condition(exc):
            raise
        current = ProfileItem.get(profile_item(client).pk, profile_item(client).sk, consistent_read=True)
        if current.open_case_id is not None:
            raise OpenCaseExists(current.open_case_id) from None
        raise ClientChanged(client.client_id) from None
    return int(record.version)


def add_action(before: RetentionCase, after: RetentionCase) -> bool:
    """The case with one more action, from the version it was read at; False when it changed."""
    action = after.actions[-1]
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                _item(before),
                actions=[
                    _CaseItem.actions.set([_action(a) for a in after.actions]),
                    *stamp_actions(_CaseItem, Stamp(by=action.by, reason=action.action, at=action.at)),
                ],
            )
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def decide(
    before: RetentionCase,
    after: RetentionCase,
    client: Client,
    outcome: Outcome,
    *,
    restrict: Sequence[Client] | None = None,
) -> None:
    """The outcome on the case and, on the client's record, its status with the case's mark gone,
    atomically. `restrict`: the person's other accounts (as read) when this outcome leaves none
    open, all restricted in the same transaction (PIPL 第47条). Raises ClientChanged when any of
    them moved meanwhile (the caller reads again)."""
    status = CLIENT_STATUS_AFTER[outcome]
    at = after.decided_at or after.opened_at
    stamp = Stamp(by=after.decided_by or "", reason=f"case {after.case_id}: {outcome}", at=at)
    left = replace(client, open_case_id=None, open_case_kind=None, status=status)
    actions: list[Action] = [
        ProfileItem.open_case_id.remove(),
        ProfileItem.open_case_kind.remove(),
        set_or_remove(ProfileItem.status, None if status is ClientStatus.ACTIVE else status.value),
        *at_risk_actions(left),
        *stamp_actions(ProfileItem, stamp),
        *(restriction_actions() if restrict is not None else []),
    ]
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                _item(before),
                actions=[
                    _CaseItem.status.set(after.status.value),
                    _CaseItem.decided_at.set(iso(at) if at else ""),
                    _CaseItem.decided_by.set(after.decided_by or ""),
                    set_or_remove(_CaseItem.outcome_note, after.outcome_note),
                    *stamp_actions(_CaseItem, stamp),
                ],
            )
            transaction.update(
                profile_item(client), actions=actions, condition=ProfileItem.open_case_id == before.case_id
            )
            if restrict is not None:
                restrict_into(transaction, restrict, stamp)
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise ClientChanged(client.client_id) from None
        raise


def for_branch(
    branch_id: str,
    *,
    statuses: Collection[str] | None,
    client_id: str | None,
    manager_id: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[RetentionCase], str | None]:
    """A branch's cases, newest first, optionally of some statuses, one client or one manager's
    clients. The service table has no index by client: one client's cases are filtered from the
    branch's listing (a client has few, and a branch's cases are not many)."""
    equal = ((_CaseItem.status, statuses), (_CaseItem.client_id, client_id), (_CaseItem.manager_id, manager_id))
    return branch_page(_CaseItem, branch_id, "CASE#", _case, equal=equal, limit=limit, cursor=cursor)
