"""The one manager of a client (第50条 2) and the phone/e-mail on record (第35–36条): each change
made on the client record with, beside it, the history item that keeps who, when and why."""

from __future__ import annotations

from datetime import date

from pynamodb.attributes import UnicodeAttribute

from crm.data.base import stamp_actions
from crm.data.clients.items import ClientsItem, ProfileItem, change_with_history, client_pk, history, history_page
from crm.domain.audit import Stamp
from crm.domain.client import Client
from crm.domain.client_history.record_changes import ContactDetailsChange, ManagerAssignment
from crm.domain.time import iso, parse_iso


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
    name_before = UnicodeAttribute(null=True)
    name_after = UnicodeAttribute(null=True)
    birthday_before = UnicodeAttribute(null=True)
    birthday_after = UnicodeAttribute(null=True)
    made_on = UnicodeAttribute(null=True)
    evidence_ref = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UnicodeAttribute()


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


def _assignment(item: _ManagerHistoryItem) -> ManagerAssignment:
    return ManagerAssignment(
        client_id=item.client_id,
        manager_id=item.manager_id,
        previous_manager_id=item.previous_manager_id,
        by=item.by,
        reason=item.reason,
        at=parse_iso(item.at),
    )


def manager_history(client_id: str) -> list[ManagerAssignment]:
    return [_assignment(item) for item in history(_ManagerHistoryItem, client_id, "MANAGER#")]


def manager_history_page(
    client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ManagerAssignment], str | None]:
    return history_page(_ManagerHistoryItem, client_id, "MANAGER#", _assignment, limit=limit, cursor=cursor)


def contact_change_entry(change: ContactDetailsChange) -> ClientsItem:
    """The history entry of a change of the person's key information on one of its accounts."""
    return _ContactChangeItem(
        pk=client_pk(change.client_id),
        sk=f"CONTACT_CHANGE#{iso(change.at)}",
        client_id=change.client_id,
        phone_before=change.phone_before,
        phone_after=change.phone_after,
        email_before=change.email_before,
        email_after=change.email_after,
        name_before=change.name_before,
        name_after=change.name_after,
        birthday_before=change.birthday_before.isoformat() if change.birthday_before else None,
        birthday_after=change.birthday_after.isoformat() if change.birthday_after else None,
        made_on=change.made_on,
        evidence_ref=change.evidence_ref,
        reason=change.reason,
        by=change.by,
        at=iso(change.at),
    )


def _contact_change(item: _ContactChangeItem) -> ContactDetailsChange:
    return ContactDetailsChange(
        client_id=item.client_id,
        phone_before=item.phone_before,
        phone_after=item.phone_after,
        email_before=item.email_before,
        email_after=item.email_after,
        name_before=item.name_before,
        name_after=item.name_after,
        birthday_before=date.fromisoformat(item.birthday_before) if item.birthday_before else None,
        birthday_after=date.fromisoformat(item.birthday_after) if item.birthday_after else None,
        made_on=item.made_on,
        evidence_ref=item.evidence_ref,
        reason=item.reason,
        by=item.by,
        at=parse_iso(item.at),
    )


def contact_details_history(client_id: str) -> list[ContactDetailsChange]:
    return [_contact_change(item) for item in history(_ContactChangeItem, client_id, "CONTACT_CHANGE#")]


def contact_details_page(
    client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ContactDetailsChange], str | None]:
    return history_page(_ContactChangeItem, client_id, "CONTACT_CHANGE#", _contact_change, limit=limit, cursor=cursor)
