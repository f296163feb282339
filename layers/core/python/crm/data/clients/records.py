"""The client record (一户一档): registration, reading and listing, the one manager (第50条 2) and
the phone/e-mail on record (第35–36条), each change kept beside the record it changed."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError

from crm.data.base import decode_cursor, encode_cursor, set_or_remove, stamp_actions, stamped
from crm.data.clients.items import (
    PROFILE,
    ClientsItem,
    ProfileItem,
    change_with_history,
    client_from_item,
    client_pk,
    history,
    profile_item,
)
from crm.domain.audit import Stamp
from crm.domain.client import Client, ContactDetailsChange, ManagerAssignment
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict


class _ManagerHistoryItem(ClientsItem):
    client_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    previous_manager_id = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UnicodeAttribute()


class _ContactChangeItem(ClientsItem):
    client_id = UnicodeAttribute()
    phone_before = UnicodeAttribute()
    phone_after = UnicodeAttribute()
    email_before = UnicodeAttribute(null=True)
    email_after = UnicodeAttribute(null=True)
    evidence_ref = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UnicodeAttribute()


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
    """One page of a branch's clients, or of one manager's clients in that branch."""
    start = decode_cursor(cursor)
    if manager_id is not None:
        pages = ProfileItem.by_manager.query(
            manager_id,
            filter_condition=ProfileItem.branch_id == branch_id,
            limit=limit,
            last_evaluated_key=start,
        )
    else:
        pages = ProfileItem.by_branch.query(branch_id, limit=limit, last_evaluated_key=start)
    clients = [client_from_item(item) for item in pages]
    return clients, encode_cursor(pages.last_evaluated_key)


def at_risk(
    *, branch_id: str, manager_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """One page of a branch's clients at risk of leaving, from the sparse `at_risk` index."""
    pages = ProfileItem.at_risk.query(
        branch_id,
        filter_condition=(ProfileItem.manager_id == manager_id) if manager_id else None,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor),
    )
    return [client_from_item(item) for item in pages], encode_cursor(pages.last_evaluated_key)


def client_records(after: str | None = None) -> Iterator[tuple[Client, str | None]]:
    """Every client record, each with the position just after it (to resume a walk there).

    Read through the `by_branch` index, which holds one item per client: a walk over everyone
    never reads figures or histories.
    """
    items = ProfileItem.by_branch.scan(last_evaluated_key=decode_cursor(after))
    for item in items:
        yield client_from_item(item), encode_cursor(items.last_evaluated_key)


def reassign_manager(client: Client, assignment: ManagerAssignment) -> None:
    """Change the one manager of a client and keep who, when and why (第50条 2)."""
    change_with_history(
        client,
        [
            ProfileItem.manager_id.set(assignment.manager_id),
            *stamp_actions(ProfileItem, Stamp(by=assignment.by, reason=assignment.reason, at=assignment.at)),
        ],
        _ManagerHistoryItem(
            pk=client_pk(client.client_id),
            sk=f"MANAGER#{iso(assignment.at)}",
            client_id=client.client_id,
            manager_id=assignment.manager_id,
            previous_manager_id=assignment.previous_manager_id,
            by=assignment.by,
            reason=assignment.reason,
            at=iso(assignment.at),
        ),
    )


def manager_history(client_id: str) -> list[ManagerAssignment]:
    return [
        ManagerAssignment(
            client_id=item.client_id,
            manager_id=item.manager_id,
            previous_manager_id=item.previous_manager_id,
            by=item.by,
            reason=item.reason,
            at=parse_iso(item.at),
        )
        for item in history(_ManagerHistoryItem, client_id, "MANAGER#")
    ]


def change_contact_details(client: Client, change: ContactDetailsChange) -> None:
    """New phone/e-mail on the record and the change, with its evidence, in its history (第35–36条)."""
    change_with_history(
        client,
        [
            ProfileItem.phone.set(change.phone_after),
            set_or_remove(ProfileItem.email, change.email_after),
            *stamp_actions(
                ProfileItem, Stamp(by=change.by, reason=change.reason, evidence_ref=change.evidence_ref, at=change.at)
            ),
        ],
        _ContactChangeItem(
            pk=client_pk(client.client_id),
            sk=f"CONTACT_CHANGE#{iso(change.at)}",
            client_id=client.client_id,
            phone_before=change.phone_before,
            phone_after=change.phone_after,
            email_before=change.email_before,
            email_after=change.email_after,
            evidence_ref=change.evidence_ref,
            reason=change.reason,
            by=change.by,
            at=iso(change.at),
        ),
    )


def contact_details_history(client_id: str) -> list[ContactDetailsChange]:
    return [
        ContactDetailsChange(
            client_id=item.client_id,
            phone_before=item.phone_before,
            phone_after=item.phone_after,
            email_before=item.email_before,
            email_after=item.email_after,
            evidence_ref=item.evidence_ref,
            reason=item.reason,
            by=item.by,
            at=parse_iso(item.at),
        )
        for item in history(_ContactChangeItem, client_id, "CONTACT_CHANGE#")
    ]
