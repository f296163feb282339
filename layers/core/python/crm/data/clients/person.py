"""The person behind the fund accounts, in the clients table (DOMAIN §12; 第29条).

PERSON#<keyed hash of the ID number> / PERSON holds the person's key information and every fund
account it opened, under `version`: registering an account and changing the key information are
transactions over it and the accounts' records, so a sixth open account or a change made on one
account alone cannot slip through between two requests. SECURITIES#<exchange>:<account> / OWNER
names the fund account a securities account belongs to (one owner each). The records carry the
lookup keys (`by_id_hash`, `by_phone_hash`, `by_name`): the numbers only as keyed hashes. A
restricted person's accounts (every one closed or transferred: PIPL 第47条) are marked and carry no
lookup keys, so no lookup by number or name finds them; a new account of the person lifts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pynamodb.attributes import ListAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from crm import config
from crm.data import blind_index
from crm.data.base import (
    batch_get_raw,
    connection,
    decode_cursor,
    encode_cursor,
    lost_to_a_condition,
    set_or_remove,
    stamp_actions,
    stamped,
)
from crm.data.clients.items import PROFILE, ClientsItem, ProfileItem, client_from_item, client_pk, profile_item
from crm.domain.audit import Stamp
from crm.domain.client import Client
from crm.domain.person import KeyInformation, SecuritiesAccount
from crm.errors import Conflict
from crm.topology import CLIENTS

PERSON = "PERSON"
OWNER = "OWNER"


def person_pk(id_hash: str) -> str:
    return f"PERSON#{id_hash}"


def securities_pk(account: SecuritiesAccount) -> str:
    return f"SECURITIES#{account.key}"


class _PersonItem(ClientsItem):
    name = UnicodeAttribute()
    phone = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)
    accounts = ListAttribute[str]()
    version = VersionAttribute()


class _OwnerItem(ClientsItem):
    # No branch_id: with it and client_id the item would enter the clients' by_branch index
    client_id = UnicodeAttribute()


class Person:
    """A person as the table holds it: its key, key information, accounts and version."""

    def __init__(self, id_hash: str, key: KeyInformation, accounts: Sequence[str], version: int | None) -> None:
        self.id_hash, self.key, self.accounts, self.version = id_hash, key, tuple(accounts), version


class PersonChanged(Exception):
    """The person (another of its accounts registered or changed) moved on meanwhile: read again."""


def key_information(client: Client) -> KeyInformation:
    return KeyInformation(name=client.name, phone=client.phone, email=client.email, birthday=client.birthday)


def id_hash(client: Client) -> str:
    return blind_index.id_number(client.id_number)


def lookup_attributes(client: Client) -> dict[str, str]:
    """The record's lookup keys: the numbers as keyed hashes, the name first in its branch, and the
    day opened first among a person's accounts (newest first)."""
    return {
        "id_hash": id_hash(client),
        "phone_hash": blind_index.phone(client.phone),
        "name_key": f"{client.name}#{client.opened_on.isoformat()}#{client.client_id}",
        "opened_key": f"{client.opened_on.isoformat()}#{client.client_id}",
    }


# The lookup keys a restricted person's records lose (the day opened orders, it finds nothing).
RESTRICTED_LOOKUP_KEYS = ("id_hash", "phone_hash", "name_key")


def restriction_actions() -> list[Action]:
    """What restricts an account (PIPL 第47条): the mark, and out of every lookup by number or name."""
    return [ProfileItem.restricted.set(True), *(getattr(ProfileItem, name).remove() for name in RESTRICTED_LOOKUP_KEYS)]


def _lifting_actions(client: Client) -> list[Action]:
    keys = lookup_attributes(client)
    return [
        ProfileItem.restricted.remove(),
        *(getattr(ProfileItem, name).set(keys[name]) for name in RESTRICTED_LOOKUP_KEYS),
    ]


def restrict_into(transaction: TransactWrite, others: Sequence[Client], stamp: Stamp) -> None:
    """Restrict the person's other accounts in `transaction` (each as read: still closed or
    transferred); the account whose change restricts the person takes `restriction_actions()`."""
    for client in others:
        transaction.update(profile_item(client), actions=[*restriction_actions(), *stamp_actions(ProfileItem, stamp)])


def get(digest: str, *, consistent: bool = True) -> Person | None:
    try:
        item = _PersonItem.get(person_pk(digest), PERSON, consistent_read=consistent)
    except _PersonItem.DoesNotExist:
        return None
    key = KeyInformation(
        name=item.name,
        phone=item.phone,
        email=item.email,
        birthday=date.fromisoformat(item.birthday) if item.birthday else None,
    )
    return Person(digest, key, item.accounts, item.version)


def accounts(person: Person) -> list[Client]:
    """Every fund account of the person, read consistently in one request (at most a handful)."""
    table = config.active().table(CLIENTS)
    found = batch_get_raw(table, [(client_pk(client_id), PROFILE) for client_id in person.accounts])
    return [client_from_item(ProfileItem.from_raw_data(raw)) for raw in found.values()]


def _person_item(person: Person | None, digest: str, key: KeyInformation, accounts: Sequence[str]) -> _PersonItem:
    item = _PersonItem(
        pk=person_pk(digest),
        sk=PERSON,
        name=key.name,
        phone=key.phone,
        email=key.email,
        birthday=key.birthday.isoformat() if key.birthday else None,
        accounts=list(accounts),
    )
    if person is not None and person.version is not None:
        item.version = person.version
    return item


def register(client: Client, person: Person | None, *, lift: Sequence[Client] = ()) -> Client:
    """Store a new account and put it on its person (made when it has none yet), atomically: 409
    when the client_id is taken; PersonChanged when the person moved on since it was read. `lift`:
    the person's restricted accounts, which an open account makes findable again (PIPL 第47条)."""
    stamp = Stamp(by=client.created_by, reason="client registered", at=client.created_at)
    record = stamped(profile_item(client), stamp)
    for name, value in lookup_attributes(client).items():
        setattr(record, name, value)
    digest = id_hash(client)
    held = person.accounts if person else ()
    holder = stamped(_person_item(person, digest, key_information(client), [*held, client.client_id]), stamp)
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(record, condition=ProfileItem.pk.does_not_exist())
            transaction.save(holder)  # under its version: none yet, or the one read
            for other in lift:
                transaction.update(
                    profile_item(other), actions=[*_lifting_actions(other), *stamp_actions(ProfileItem, stamp)]
                )
    except TransactWriteError as exc:
        if not lost_to_a_condition(exc):
            raise
        if ProfileItem.count(client_pk(client.client_id), ProfileItem.sk == PROFILE, consistent_read=True):
            raise Conflict(f"client {client.client_id} already exists", field="client_id") from None
        raise PersonChanged(digest) from None
    return client_from_item(record)


def change_key_information(
    person: Person, clients: Sequence[Client], after: KeyInformation, entries: Sequence[ClientsItem], stamp: Stamp
) -> None:
    """The person's key information changed on every one of its accounts, each with its history
    entry, and on the person, in one transaction; PersonChanged when any moved on meanwhile."""
    actions: list[Action] = [
        ProfileItem.name.set(after.name),
        ProfileItem.phone.set(after.phone),
        set_or_remove(ProfileItem.email, after.email),
        set_or_remove(ProfileItem.birthday, after.birthday.isoformat() if after.birthday else None),
        *stamp_actions(ProfileItem, stamp),
    ]
    try:
        with TransactWrite(connection=connection()) as transaction:
            for client in clients:
                keys = (
                    []
                    if client.restricted
                    else [  # a restricted person stays out of the lookups
                        ProfileItem.phone_hash.set(blind_index.phone(after.phone)),
                        ProfileItem.name_key.set(f"{after.name}#{client.opened_on.isoformat()}#{client.client_id}"),
                    ]
                )
                transaction.update(profile_item(client), actions=[*actions, *keys])
            for entry in entries:
                transaction.save(entry, condition=ClientsItem.sk.does_not_exist())
            transaction.save(stamped(_person_item(person, person.id_hash, after, person.accounts), stamp))
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise PersonChanged(person.id_hash) from None
        raise


def _page(index: Any, partition: str, listing: str, limit: int, cursor: str | None, **query: Any) -> Any:
    return index.query(
        partition,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, listing),
        **query,
    )


def by_id_number(id_number: str, *, limit: int, cursor: str | None) -> tuple[list[Client], str | None]:
    """The accounts of an ID number, newest first, from its keyed hash."""
    digest = blind_index.id_number(id_number)
    pages = _page(ProfileItem.by_id_hash, digest, listing := f"lookup:id:{digest}", limit, cursor)
    return [client_from_item(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


def by_phone(phone: str, *, limit: int, cursor: str | None) -> tuple[list[Client], str | None]:
    digest = blind_index.phone(phone)
    pages = _page(ProfileItem.by_phone_hash, digest, listing := f"lookup:phone:{digest}", limit, cursor)
    return [client_from_item(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


def by_name(branch_id: str, prefix: str, *, limit: int, cursor: str | None) -> tuple[list[Client], str | None]:
    """A branch's clients whose name begins with `prefix` (or is it), in the order of their names."""
    listing = f"lookup:name:{branch_id}:{prefix}"
    pages = ProfileItem.by_name.query(
        branch_id,
        ProfileItem.name_key.startswith(prefix),
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, listing),
    )
    return [client_from_item(item) for item in pages], encode_cursor(pages.last_evaluated_key, listing)


def owner_of(account: SecuritiesAccount) -> str | None:
    """The fund account a securities account belongs to."""
    try:
        return str(_OwnerItem.get(securities_pk(account), OWNER, consistent_read=True).client_id)
    except _OwnerItem.DoesNotExist:
        return None


def set_securities_accounts(client: Client, wanted: Sequence[SecuritiesAccount], stamp: Stamp) -> None:
    """The fund account's securities accounts, each claimed for it alone (409 naming the one another
    account holds), with the record, in one transaction."""
    before = {account.key: account for account in client.securities_accounts}
    after = {account.key: account for account in wanted}
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(
                profile_item(client),
                actions=[
                    set_or_remove(ProfileItem.securities_accounts, list(after) or None),
                    *stamp_actions(ProfileItem, stamp),
                ],
            )
            for key in before.keys() - after.keys():
                released = _OwnerItem(pk=securities_pk(before[key]), sk=OWNER)
                transaction.delete(released, condition=_OwnerItem.client_id == client.client_id)
            for key in after.keys() - before.keys():
                claim = stamped(
                    _OwnerItem(pk=securities_pk(after[key]), sk=OWNER, client_id=client.client_id),
                    stamp,
                )
                transaction.save(claim, condition=_OwnerItem.pk.does_not_exist())
    except TransactWriteError as exc:
        if not lost_to_a_condition(exc):
            raise
        for key in after.keys() - before.keys():
            owner = owner_of(after[key])
            if owner not in (None, client.client_id):
                raise Conflict(f"{after[key].account} belongs to another fund account", field="accounts") from None
        raise Conflict(f"client {client.client_id} changed meanwhile; reload and try again") from None
