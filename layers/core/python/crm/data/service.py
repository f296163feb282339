"""The service table: contacts, complaints and their deadlines, one item collection each.

Keys: pk = CONTACT#<id> | COMPLAINT#<no> | PROSPECT#<id> | CASE#<id> | COUNTER#complaints#<yymm>;
within a collection,
sk = CONTACT | COMPLAINT (the record), TRANSITION#<at> and CALLBACK#<at> (history),
CLOCK#<kind> (a deadline), BREACH#<kind> (the breach record), ESCALATION#<kind>#<level> (an
escalation, published as an event by the SLA stream handler).

Sparse indexes: `by_branch` (records and breaches listed per branch, sort key `listed_at`),
`open_clocks` (open deadlines by due time: what the SLA sweep reads instead of scanning) and
`provisional_clocks` (deadlines computed without a known calendar, by year).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from crm.data.base import Stamped, decode_cursor, encode_cursor, meta_for
from crm.data.pages import read_ahead
from crm.topology import SERVICE


class ServiceItem(Stamped, Model):
    Meta = meta_for(SERVICE)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ByBranch(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_branch"
        projection = AllProjection()

    branch_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class ByClient(GlobalSecondaryIndex[Any]):
    """A client's records (inquiries, complaints, cases, breaches), newest last by `listed_at`."""

    class Meta:
        index_name = "by_client"
        projection = AllProjection()

    client_id = UnicodeAttribute(hash_key=True)
    listed_at = UnicodeAttribute(range_key=True)


class ClientRecordItem(ServiceItem):
    """Any record of the service table that is about a client, as its `by_client` index holds it."""

    client_id = UnicodeAttribute()
    listed_at = UnicodeAttribute()
    by_client = ByClient()


def contact_pk(contact_id: str) -> str:
    return f"CONTACT#{contact_id}"


def complaint_pk(complaint_no: str) -> str:
    return f"COMPLAINT#{complaint_no}"


def prospect_pk(prospect_id: str) -> str:
    return f"PROSPECT#{prospect_id}"


_OWNER_PK = {"contact": contact_pk, "complaint": complaint_pk, "prospect": prospect_pk}


def owner_pk(owner_type: str, owner_id: str) -> str:
    """The collection of the record a clock measures (a contact, a complaint or a prospect)."""
    return _OWNER_PK[owner_type](owner_id)


_Item = TypeVar("_Item", bound=ServiceItem)
_Value = TypeVar("_Value")


def branch_page(
    model: type[_Item],
    branch_id: str,
    prefix: str,
    convert: Callable[[_Item], _Value],
    *,
    equal: tuple[tuple[Any, str | Collection[str] | None], ...],
    limit: int,
    cursor: str | None,
    also: Any = None,
) -> tuple[list[_Value], str | None]:
    """One page of a branch's records of one kind (`listed_at` prefix), newest first, keeping
    those whose attributes equal the given value, or one of the given values (None: any), and
    that meet `also`."""
    condition = also
    for attribute, wanted in equal:
        if wanted is None:
            continue
        match = (attribute == wanted) if isinstance(wanted, str) else attribute.is_in(*wanted)
        condition = match if condition is None else condition & match
    pages = model.by_branch.query(  # type: ignore[attr-defined]
        branch_id,
        model.listed_at.startswith(prefix),  # type: ignore[attr-defined]
        filter_condition=condition,
        scan_index_forward=False,
        limit=limit,
        page_size=read_ahead(limit),
        last_evaluated_key=decode_cursor(cursor, listing := f"{prefix}:{branch_id}"),
    )
    found = [convert(item) for item in pages]
    return found, encode_cursor(pages.last_evaluated_key, listing)
