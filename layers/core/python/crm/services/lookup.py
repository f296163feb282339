"""Finding a client the way counter staff do (第29条4: 资金账号、证券账号、身份证号码、姓名，任选其一;
DOMAIN §12): by any one of fund account, securities account, ID number, phone or name, within the
caller's scope, newest account first. A client outside the scope is simply not found — never a
hint that it exists — and neither is a restricted person (PIPL 第47条: by number or name its
records carry no lookup key; by account it is left out here). Each lookup by ID number or phone
leaves an entry in the audit trail and in the audit archive kept 20 years (证券法（2019）第137条:
the audit table has no stream, so its writers archive what they append)."""

from __future__ import annotations

from datetime import datetime

from crm import rules
from crm.data import archive as archive_data
from crm.data import audit as audit_data
from crm.data.clients import person as person_data
from crm.data.clients import records as client_data
from crm.domain.access import Grant
from crm.domain.client import Client
from crm.domain.person import AUDITED_KEYS, LookupKey, SecuritiesAccount, lookup_trail
from crm.domain.pii import id_number_problem, mask_id_number, mask_phone, phone_problem
from crm.errors import InvalidInput


def _one(client_id: str | None) -> list[Client]:
    client = client_data.get(client_id) if client_id else None
    return [client] if client is not None else []


def _found(grant: Grant, key: LookupKey, value: str, limit: int, cursor: str | None) -> tuple[list[Client], str | None]:
    person_rules = rules.person()
    if key is LookupKey.CLIENT_ID:
        return _one(value), None
    if key is LookupKey.SECURITIES_ACCOUNT:
        exchange = person_rules.exchange_of(value)
        if exchange is None:
            raise InvalidInput(f"{value} is no securities account of a known format", field=key.value)
        return _one(person_data.owner_of(SecuritiesAccount(exchange, value))), None
    if key is LookupKey.ID_NUMBER:
        problem = id_number_problem(value.upper())
        if problem:
            raise InvalidInput(f"the ID number {problem}", field=key.value)
        return person_data.by_id_number(value, limit=limit, cursor=cursor)
    if key is LookupKey.PHONE:
        problem = phone_problem(value)
        if problem:
            raise InvalidInput(f"the phone number {problem}", field=key.value)
        return person_data.by_phone(value, limit=limit, cursor=cursor)
    problem = person_rules.name_prefix_problem(value)
    if problem:
        raise InvalidInput(problem, field=key.value)
    return person_data.by_name(grant.listing_branch(None), value, limit=limit, cursor=cursor)


def lookup(
    grant: Grant, key: LookupKey, value: str, *, limit: int, cursor: str | None, now: datetime, request_id: str
) -> tuple[list[Client], str | None]:
    found, next_cursor = _found(grant, key, value, limit, cursor)
    visible = sorted(
        (c for c in found if not c.restricted and grant.covers(branch_id=c.branch_id, manager_id=c.manager_id)),
        key=lambda c: (c.opened_on, c.client_id),
        reverse=True,
    )
    if key in AUDITED_KEYS:
        shown = mask_id_number(value.upper()) if key is LookupKey.ID_NUMBER else mask_phone(value)
        trail = lookup_trail(
            key, shown, [c.client_id for c in visible], by=grant.identity.user_id, at=now, request_id=request_id
        )
        for entry in trail:
            audit_data.append(entry)
        archive_data.archive(trail, request_id)  # a retried request adds a version of the same object
    return visible, next_cursor
