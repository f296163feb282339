"""A client's class and VIP history (第4–6条, Part 4): its items, and the reads of it. Written with
the decision that makes it (crm.data.clients.reclassification).

Class changes are CLASS#<at>#<change id>, VIP changes VIP#<at>#<change id>: the change id (a
stream position, or the job that decided) makes a replayed decision append nothing.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from crm.data.clients.items import (
    BasisAttribute,
    ClientsItem,
    basis_attribute,
    basis_of,
    client_pk,
    history,
    history_page,
)
from crm.domain.classification import ClassCause
from crm.domain.client_history.class_changes import ClassChange, VipChange
from crm.domain.time import iso, parse_iso


class _ClassHistoryItem(ClientsItem):
    client_id = UnicodeAttribute()
    client_class = UnicodeAttribute()
    previous_class = UnicodeAttribute(null=True)
    cause = UnicodeAttribute()
    at = UnicodeAttribute()
    basis = BasisAttribute()


class _VipHistoryItem(ClientsItem):
    client_id = UnicodeAttribute()
    vip = BooleanAttribute()
    previous_vip = BooleanAttribute()
    client_class = UnicodeAttribute(null=True)
    cause = UnicodeAttribute()
    at = UnicodeAttribute()


def class_history_item(change: ClassChange) -> _ClassHistoryItem:
    return _ClassHistoryItem(
        pk=client_pk(change.client_id),
        sk=f"CLASS#{iso(change.at)}#{change.change_id}",
        client_id=change.client_id,
        client_class=change.client_class,
        previous_class=change.previous_class,
        cause=change.cause.value,
        at=iso(change.at),
        basis=basis_attribute(change.basis),
    )


def vip_history_item(change: VipChange) -> _VipHistoryItem:
    return _VipHistoryItem(
        pk=client_pk(change.client_id),
        sk=f"VIP#{iso(change.at)}#{change.change_id}",
        client_id=change.client_id,
        vip=change.vip,
        previous_vip=change.previous_vip,
        client_class=change.client_class,
        cause=change.cause.value,
        at=iso(change.at),
    )


def _class_change(item: _ClassHistoryItem) -> ClassChange:
    return ClassChange(
        client_id=item.client_id,
        client_class=item.client_class,
        previous_class=item.previous_class,
        cause=ClassCause(item.cause),
        at=parse_iso(item.at),
        basis=basis_of(item.basis),  # type: ignore[arg-type]
        change_id=item.sk.rsplit("#", 1)[-1],
    )


def _vip_change(item: _VipHistoryItem) -> VipChange:
    return VipChange(
        client_id=item.client_id,
        vip=bool(item.vip),
        previous_vip=bool(item.previous_vip),
        client_class=item.client_class,
        cause=ClassCause(item.cause),
        at=parse_iso(item.at),
        change_id=item.sk.rsplit("#", 1)[-1],
    )


def class_history(client_id: str) -> list[ClassChange]:
    return [_class_change(item) for item in history(_ClassHistoryItem, client_id, "CLASS#")]


def class_history_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[ClassChange], str | None]:
    return history_page(_ClassHistoryItem, client_id, "CLASS#", _class_change, limit=limit, cursor=cursor)


def vip_history(client_id: str) -> list[VipChange]:
    return [_vip_change(item) for item in history(_VipHistoryItem, client_id, "VIP#")]


def vip_history_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[VipChange], str | None]:
    return history_page(_VipHistoryItem, client_id, "VIP#", _vip_change, limit=limit, cursor=cursor)
