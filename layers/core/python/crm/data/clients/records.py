"""The client record (一户一档): registration, reading and listing, the one manager (第50条 2) and
the phone/e-mail on record (第35–36条), each change kept beside the record it changed."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.exceptions import PutError

from crm.data.base import decode_cursor, decode_position, encode_cursor, encode_position, stamped
from crm.data.clients.items import (
    PROFILE,
    ProfileItem,
    client_from_item,
    client_pk,
    profile_item,
)
from crm.data.pages import read_ahead
from crm.domain.audit import Stamp
from crm.domain.client import Client, ClientStatus
from crm.errors import Conflict


def create(client: Client) -> Client:
    """Store a new client; 409 when the client_id is taken."""
    item = stamped(profile_item(client), Stamp(by=client.created_by, reason="client registered", at=client.created_at))
    try:
        item.save(condition=ProfileItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"client {client.client_id} already exists", field="client_id") from None
        raise
    return client_from_item(item)


def get(client_id: str, *, consistent: bool = False) -> Client | None:
    try:
        return client_from_item(ProfileItem.get(client_pk(client_id), PROFILE, consistent_read=consistent))
    except ProfileItem.DoesNotExist:
        return None


def list_clients(
    *, branch_id: str, manager_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """One page of a branch's clients, or of one manager's clients in that branch; a restricted
    person's accounts are left out (PIPL 第47条)."""
    listing = f"clients:{branch_id}:{manager_id or ''}"
    start = decode_cursor(cursor, listing)
    unrestricted = ProfileItem.restricted.does_not_exist()
    if manager_id is not None:
        pages = ProfileItem.by_manager.query(
            manager_id,
            filter_condition=(ProfileItem.branch_id == branch_id) & unrestricted,
            limit=limit,
            last_evaluated_key=start,
        )
    else:
        pages = ProfileItem.by_branch.query(
            branch_id, filter_condition=unrestricted, limit=limit, last_evaluated_key=start
        )
    clients = [client_from_item(item) for item in pages]
    return clients, encode_cursor(pages.last_evaluated_key, listing)


def at_risk(
    *, branch_id: str, client_id: str | None, manager_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """One page of a branch's clients at risk of leaving, from the sparse `at_risk` index (keyed by
    client within the branch: one client is a key condition)."""
    pages = ProfileItem.at_risk.query(
        branch_id,
        (ProfileItem.client_id == client_id) if client_id else None,
        filter_condition=(ProfileItem.manager_id == manager_id) if manager_id else None,
        limit=limit,
        page_size=read_ahead(limit),
        last_evaluated_key=decode_cursor(cursor, listing := f"at_risk:{branch_id}:{client_id or ''}"),
    )
    return [client_from_item(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


def client_records(after: str | None = None) -> Iterator[tuple[Client, str | None]]:
    """Every client record, each with the position just after it (to resume a walk there).

    Read through the `by_branch` index, which holds one item per client: a walk over everyone
    never reads figures or histories.
    """
    items = ProfileItem.by_branch.scan(last_evaluated_key=decode_position(after))
    for item in items:
        yield client_from_item(item), encode_position(items.last_evaluated_key)


def managed_count(manager_id: str) -> int:
    """How many clients still with the brokerage name `manager_id` as their manager (by_manager)."""
    still_here = ProfileItem.status.does_not_exist() | (ProfileItem.status == ClientStatus.ACTIVE.value)
    return ProfileItem.by_manager.count(manager_id, filter_condition=still_here)
