"""Sales (SALE#), signed risk disclosures (DISCLOSURE#) and enabled high-risk businesses
(BUSINESS#) in the client's collection: append-only records of what the suitability rules
allowed and on what evidence (第8条 5, 第48–49条)."""

from __future__ import annotations

from datetime import date

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from crm.data.base import DecimalAttribute
from crm.data.clients.items import ClientsItem, client_pk, history, history_page
from crm.domain.suitability import Disclosure, EnabledBusiness, Sale
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict


class _SaleItem(ClientsItem):
    client_id = UnicodeAttribute()
    sale_id = UnicodeAttribute()
    product_id = UnicodeAttribute()
    amount = DecimalAttribute()
    within_match = BooleanAttribute()
    acknowledgement_ref = UnicodeAttribute(null=True)
    verdict = UnicodeAttribute()
    rule_set = UnicodeAttribute()
    by = UnicodeAttribute()
    at = UnicodeAttribute()


class _DisclosureItem(ClientsItem):
    client_id = UnicodeAttribute()
    business = UnicodeAttribute()
    document_ref = UnicodeAttribute()
    signed_on = UnicodeAttribute()
    recorded_by = UnicodeAttribute()
    at = UnicodeAttribute()


class _BusinessItem(ClientsItem):
    client_id = UnicodeAttribute()
    business = UnicodeAttribute()
    disclosure_ref = UnicodeAttribute()
    enabled_by = UnicodeAttribute()
    at = UnicodeAttribute()


def record_sale(sale: Sale) -> None:
    _SaleItem(
        pk=client_pk(sale.client_id),
        sk=f"SALE#{iso(sale.at)}#{sale.sale_id}",
        client_id=sale.client_id,
        sale_id=sale.sale_id,
        product_id=sale.product_id,
        amount=sale.amount,
        within_match=sale.within_match,
        acknowledgement_ref=sale.acknowledgement_ref,
        verdict=sale.verdict,
        rule_set=sale.rule_set,
        by=sale.by,
        at=iso(sale.at),
    ).save(condition=ClientsItem.sk.does_not_exist())


def _sale(item: _SaleItem) -> Sale:
    return Sale(
        client_id=item.client_id,
        sale_id=item.sale_id,
        product_id=item.product_id,
        amount=item.amount,
        within_match=bool(item.within_match),
        acknowledgement_ref=item.acknowledgement_ref,
        verdict=item.verdict,
        rule_set=item.rule_set,
        by=item.by,
        at=parse_iso(item.at),
    )


def sales(client_id: str) -> list[Sale]:
    return [_sale(item) for item in history(_SaleItem, client_id, "SALE#")]


def sale_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[Sale], str | None]:
    return history_page(_SaleItem, client_id, "SALE#", _sale, limit=limit, cursor=cursor)


def record_disclosure(disclosure: Disclosure) -> None:
    _DisclosureItem(
        pk=client_pk(disclosure.client_id),
        sk=f"DISCLOSURE#{disclosure.business}#{iso(disclosure.at)}",
        client_id=disclosure.client_id,
        business=disclosure.business,
        document_ref=disclosure.document_ref,
        signed_on=disclosure.signed_on.isoformat(),
        recorded_by=disclosure.recorded_by,
        at=iso(disclosure.at),
    ).save(condition=ClientsItem.sk.does_not_exist())


def _disclosure(item: _DisclosureItem) -> Disclosure:
    return Disclosure(
        client_id=item.client_id,
        business=item.business,
        document_ref=item.document_ref,
        signed_on=date.fromisoformat(item.signed_on),
        recorded_by=item.recorded_by,
        at=parse_iso(item.at),
    )


def disclosures(client_id: str, business: str | None = None) -> list[Disclosure]:
    """The client's disclosures (of one business), newest first, read consistently: the gate on
    enabling a business reads what was just recorded."""
    prefix = f"DISCLOSURE#{business}#" if business else "DISCLOSURE#"
    return [_disclosure(item) for item in history(_DisclosureItem, client_id, prefix, consistent=True)]


def disclosure_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[Disclosure], str | None]:
    """One page of the client's disclosures, in key order reversed: by business, newest first within each."""
    return history_page(_DisclosureItem, client_id, "DISCLOSURE#", _disclosure, limit=limit, cursor=cursor)


def enable_business(enabled: EnabledBusiness) -> None:
    """Enable a business once; 409 when it already is."""
    try:
        _BusinessItem(
            pk=client_pk(enabled.client_id),
            sk=f"BUSINESS#{enabled.business}",
            client_id=enabled.client_id,
            business=enabled.business,
            disclosure_ref=enabled.disclosure_ref,
            enabled_by=enabled.enabled_by,
            at=iso(enabled.at),
        ).save(condition=ClientsItem.sk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"{enabled.business} is already enabled for this client", field="business") from None
        raise


def _business(item: _BusinessItem) -> EnabledBusiness:
    return EnabledBusiness(
        client_id=item.client_id,
        business=item.business,
        disclosure_ref=item.disclosure_ref,
        enabled_by=item.enabled_by,
        at=parse_iso(item.at),
    )


def businesses(client_id: str) -> list[EnabledBusiness]:
    """The businesses enabled for the client, by name."""
    return [_business(item) for item in history(_BusinessItem, client_id, "BUSINESS#", newest_first=False)]


def business_page(client_id: str, *, limit: int, cursor: str | None) -> tuple[list[EnabledBusiness], str | None]:
    return history_page(
        _BusinessItem, client_id, "BUSINESS#", _business, limit=limit, cursor=cursor, newest_first=False
    )
