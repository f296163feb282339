"""The service table: contacts, complaints and their deadlines, one item collection each.

Keys: pk = CONTACT#<id> | COMPLAINT#<no> | COUNTER#complaints#<yymm>; within a collection,
sk = CONTACT | COMPLAINT (the record), TRANSITION#<at> and CALLBACK#<at> (history),
CLOCK#<kind> (a deadline), BREACH#<kind> (the breach record), ESCALATION#<kind>#<level> (an
escalation, published as an event by the SLA stream handler).

Sparse indexes: `by_branch` (records and breaches listed per branch, sort key `listed_at`),
`open_clocks` (open deadlines by due time: what the SLA sweep reads instead of scanning) and
`provisional_clocks` (deadlines computed without a known calendar, by year).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from crm.data.base import meta_for
from crm.topology import SERVICE


class ServiceItem(Model):
    Meta = meta_for(SERVICE)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ByBranch(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_branch"
        projection = AllProjection()

    branch_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


def contact_pk(contact_id: str) -> str:
    return f"CONTACT#{contact_id}"


def complaint_pk(complaint_no: str) -> str:
    return f"COMPLAINT#{complaint_no}"


def owner_pk(owner_type: str, owner_id: str) -> str:
    return contact_pk(owner_id) if owner_type == "contact" else complaint_pk(owner_id)
