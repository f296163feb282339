"""The person's other fund accounts that the caller may see (DOMAIN §12: `same_person`): one query of
the keyed-hash index of the ID number; accounts outside the caller's scope are left out unnamed."""

from __future__ import annotations

from crm.data.clients import person as person_data
from crm.domain.access import Grant
from crm.domain.client import Client

MAX_ACCOUNTS_READ = 50  # every account a person ever opened, closed ones included, fits many times over


def same_person(grant: Grant, client: Client) -> list[str]:
    accounts, _ = person_data.by_id_number(client.id_number, limit=MAX_ACCOUNTS_READ, cursor=None)
    return [
        other.client_id
        for other in accounts
        if other.client_id != client.client_id and grant.covers(branch_id=other.branch_id, manager_id=other.manager_id)
    ]
