"""Client records, manager re-assignment and contact details (一户一档; 第50条 2; 第35–36条)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from crm import rules
from crm.data.clients import changes as change_data
from crm.data.clients import person as person_data
from crm.data.clients import records as client_data
from crm.domain.access import Grant
from crm.domain.audit import Stamp
from crm.domain.client import Client, ClientStatus
from crm.domain.client_history.record_changes import ContactDetailsChange, ManagerAssignment
from crm.domain.concurrency import ExpectedVersion, require_version
from crm.domain.person import KeyInformation, SecuritiesAccount, check_open_accounts, check_same_person
from crm.domain.retention import AtRiskReason, at_risk_reasons
from crm.domain.time import beijing
from crm.errors import Conflict, InvalidInput
from crm.services import staff_references as staff
from crm.services.client_lookup import decided_on_fresh, find


def register(grant: Grant, client: Client) -> Client:
    grant.require_branch(client.branch_id)
    staff.require(client.manager_id, roles=staff.MANAGERS, branch_id=client.branch_id, field="manager_id")
    if client.opened_on > beijing(client.created_at).date():
        raise InvalidInput("opened_on lies in the future", field="opened_on")
    if client.birthday is not None and client.birthday >= client.opened_on:
        raise InvalidInput("birthday must precede opened_on", field="birthday")
    return _register_with_person(client)


REGISTER_ATTEMPTS = 3  # another account of the same person registered meanwhile: read it again


def _register_with_person(client: Client) -> Client:
    """The account, on the person its ID number names (DOMAIN §12): with the person's key
    information, and within the open accounts one person may hold (409 naming the field). A new
    open account of a restricted person lifts the restriction (PIPL 第47条, DOMAIN §14)."""
    if client_data.get(client.client_id, consistent=True) is not None:  # the account first: it is what is asked for
        raise Conflict(f"client {client.client_id} already exists", field="client_id")
    person_rules = rules.person()
    for _ in range(REGISTER_ATTEMPTS):
        person = person_data.get(person_data.id_hash(client))
        held = person_data.accounts(person) if person is not None else []
        if person is not None:
            check_same_person(person.key, person_data.key_information(client))
            check_open_accounts(sum(c.status is ClientStatus.ACTIVE for c in held), person_rules)
        try:
            return person_data.register(client, person, lift=[c for c in held if c.restricted])
        except person_data.PersonChanged:
            continue
    raise Conflict("the person's accounts changed meanwhile; try again", field="id_number")


def listing(grant: Grant, *, branch_id: str | None, limit: int, cursor: str | None) -> tuple[list[Client], str | None]:
    return client_data.list_clients(
        branch_id=grant.listing_branch(branch_id), manager_id=grant.manager_filter(), limit=limit, cursor=cursor
    )


def at_risk(
    grant: Grant, *, branch_id: str | None, client_id: str | None, limit: int, cursor: str | None
) -> tuple[list[tuple[Client, tuple[AtRiskReason, ...]]], str | None]:
    """The branch's clients at risk of leaving (or the one named), each with its reasons (第50条 10;
    DOMAIN §5)."""
    clients, next_cursor = client_data.at_risk(
        branch_id=grant.listing_branch(branch_id),
        client_id=client_id,
        manager_id=grant.manager_filter(),
        limit=limit,
        cursor=cursor,
    )
    return [(client, at_risk_reasons(client)) for client in clients], next_cursor


def reassign_manager(
    grant: Grant,
    client_id: str,
    manager_id: str,
    reason: str,
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> Client:

    def reassign(client: Client) -> Client:
        require_version(expected_version, client.version, what=f"client {client_id}")
        if manager_id == client.manager_id:
            raise InvalidInput(f"{manager_id} already manages client {client_id}", field="manager_id")
        staff.require(manager_id, roles=staff.MANAGERS, branch_id=client.branch_id, field="manager_id")
        change_data.reassign_manager(
            client,
            ManagerAssignment(
                client_id=client_id,
                manager_id=manager_id,
                previous_manager_id=client.manager_id,
                by=grant.identity.user_id,
                reason=reason,
                at=now,
            ),
        )
        return replace(client, manager_id=manager_id, version=(client.version or 0) + 1)

    return decided_on_fresh(grant, client_id, reassign)


def manager_history(
    grant: Grant, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ManagerAssignment], str | None]:
    find(grant, client_id)
    return change_data.manager_history_page(client_id, limit=limit, cursor=cursor)


def change_key_information(
    grant: Grant,
    client_id: str,
    *,
    name: str | None,
    phone: str | None,
    email: str | None,
    birthday: date | None,
    evidence_ref: str,
    reason: str | None,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> Client:
    """Change the person's key information (name, phone, e-mail, birthday) on one of its accounts:
    it is made on every account of the person — in other branches too, since it is the person's —
    in one transaction, each account with its history entry naming who made it and on which
    account (DOMAIN §12; the guide: 客户关键信息…自动、同步实现更新). The evidence reference is
    mandatory (第35–36条). `expected_version` is the account's (`If-Match` on it)."""
    client = find(grant, client_id)
    require_version(expected_version, client.version, what=f"client {client_id}")
    before = person_data.key_information(client)
    after = KeyInformation(
        name=name if name is not None else before.name,
        phone=phone if phone is not None else before.phone,
        email=email if email is not None else before.email,
        birthday=birthday if birthday is not None else before.birthday,
    )
    if after == before:
        raise InvalidInput("nothing of the person's key information changes", field="phone")
    stamp = Stamp(by=grant.identity.user_id, reason=reason, evidence_ref=evidence_ref, at=now)
    for _ in range(REGISTER_ATTEMPTS):
        digest = person_data.id_hash(client)
        person = person_data.get(digest) or person_data.Person(digest, before, [client.client_id], None)
        accounts = person_data.accounts(person)
        # Read again on a retry: the account written must still be at the version the caller named.
        client = next((account for account in accounts if account.client_id == client_id), client)
        require_version(expected_version, client.version, what=f"client {client_id}")
        if after.birthday is not None and any(after.birthday >= account.opened_on for account in accounts):
            raise InvalidInput("birthday must precede the opening of each of the person's accounts", field="birthday")
        entries = [
            change_data.contact_change_entry(
                ContactDetailsChange(
                    client_id=account.client_id,
                    phone_before=account.phone,
                    phone_after=after.phone,
                    email_before=account.email,
                    email_after=after.email,
                    name_before=account.name,
                    name_after=after.name,
                    birthday_before=account.birthday,
                    birthday_after=after.birthday,
                    made_on=client_id,
                    evidence_ref=evidence_ref,
                    reason=reason,
                    by=grant.identity.user_id,
                    at=now,
                )
            )
            for account in accounts
        ]
        try:
            person_data.change_key_information(person, accounts, after, entries, stamp)
        except person_data.PersonChanged:
            continue
        return replace(
            client,
            name=after.name,
            phone=after.phone,
            email=after.email,
            birthday=after.birthday,
            version=(client.version or 0) + 1,
        )
    raise Conflict("the person's accounts changed meanwhile; reload and try again", field="client_id")


def contact_details_history(
    grant: Grant, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[ContactDetailsChange], str | None]:
    find(grant, client_id)
    return change_data.contact_details_page(client_id, limit=limit, cursor=cursor)


def set_securities_accounts(
    grant: Grant,
    client_id: str,
    accounts: list[SecuritiesAccount],
    *,
    now: datetime,
    expected_version: ExpectedVersion | None = None,
) -> Client:
    """The securities accounts a fund account names (DOMAIN §12), each held by one fund account."""
    client = find(grant, client_id)
    require_version(expected_version, client.version, what=f"client {client_id}")
    person_rules = rules.person()
    for n, account in enumerate(accounts):
        problem = person_rules.account_problem(account)
        if problem:
            raise InvalidInput(problem, field=f"accounts.{n}.account")
    if len({account.key for account in accounts}) != len(accounts):
        raise InvalidInput("an account is named twice", field="accounts")
    stamp = Stamp(by=grant.identity.user_id, reason="securities accounts set", at=now)
    person_data.set_securities_accounts(client, accounts, stamp)
    return replace(client, securities_accounts=tuple(accounts), version=(client.version or 0) + 1)
