"""The manager's profile of a client (第9–11条): current values on the client's record, every
change kept as PROFILE_CHANGE#<at> in the client's collection, and the target-VIP list."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from crm.data.base import decode_cursor, encode_cursor, set_or_remove, stamp_actions
from crm.data.clients.items import (
    ClientsItem,
    ProfileItem,
    change_with_history,
    client_from_item,
    client_pk,
)
from crm.data.clients.items import history as client_history
from crm.data.clients.items import history_page as client_history_page
from crm.data.pages import read_ahead
from crm.domain.audit import Stamp
from crm.domain.client import Client
from crm.domain.profile import DecisionStyle, Profile, ProfileChange, TradingHabit, ValueSegment
from crm.domain.time import iso, parse_iso


class _ProfileChangeItem(ClientsItem):
    client_id = UnicodeAttribute()
    before = JSONAttribute()
    after = JSONAttribute()
    by = UnicodeAttribute()
    at = UnicodeAttribute()


def _as_dict(profile: Profile) -> dict[str, Any]:
    return {
        "trading_habit": profile.trading_habit.value if profile.trading_habit else None,
        "value_segment": profile.value_segment.value if profile.value_segment else None,
        "decision_style": profile.decision_style.value if profile.decision_style else None,
        "note": profile.note,
    }


def _profile(values: dict[str, Any]) -> Profile:
    return Profile(
        trading_habit=TradingHabit(values["trading_habit"]) if values.get("trading_habit") else None,
        value_segment=ValueSegment(values["value_segment"]) if values.get("value_segment") else None,
        decision_style=DecisionStyle(values["decision_style"]) if values.get("decision_style") else None,
        note=values.get("note"),
    )


def change(client: Client, entry: ProfileChange, *, vip_target: bool) -> None:
    """The new profile on the client's record and the change in its history, atomically."""
    values = _as_dict(entry.after)
    change_with_history(
        client,
        [
            set_or_remove(ProfileItem.trading_habit, values["trading_habit"]),
            set_or_remove(ProfileItem.value_segment, values["value_segment"]),
            set_or_remove(ProfileItem.decision_style, values["decision_style"]),
            set_or_remove(ProfileItem.profile_note, values["note"]),
            set_or_remove(ProfileItem.vip_target_branch, client.branch_id if vip_target else None),
            *stamp_actions(ProfileItem, Stamp(by=entry.by, reason="profile updated", at=entry.at)),
        ],
        _ProfileChangeItem(
            pk=client_pk(client.client_id),
            sk=f"PROFILE_CHANGE#{iso(entry.at)}",
            client_id=client.client_id,
            before=_as_dict(entry.before),
            after=values,
            by=entry.by,
            at=iso(entry.at),
        ),
    )


def _change(item: _ProfileChangeItem) -> ProfileChange:
    return ProfileChange(
        client_id=item.client_id,
        before=_profile(item.before),
        after=_profile(item.after),
        by=item.by,
        at=parse_iso(item.at),
    )


def history(client_id: str) -> list[ProfileChange]:
    return [_change(item) for item in client_history(_ProfileChangeItem, client_id, "PROFILE_CHANGE#")]


def history_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[ProfileChange], str | None]:
    return client_history_page(_ProfileChangeItem, client_id, "PROFILE_CHANGE#", _change, limit=limit, cursor=cursor)


def vip_target_page(
    branch_id: str, *, manager_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """One page of the branch's cultivation list (or of one manager's clients on it), from the sparse
    `vip_targets` index."""
    pages = ProfileItem.vip_targets.query(
        branch_id,
        filter_condition=(ProfileItem.manager_id == manager_id) if manager_id else None,
        limit=limit,
        page_size=read_ahead(limit),
        last_evaluated_key=decode_cursor(cursor, listing := f"vip_targets:{branch_id}"),
    )
    return [client_from_item(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)
