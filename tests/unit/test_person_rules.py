"""The person behind the fund accounts (DOMAIN §12), the lookup's rules, and CORS origins: pure."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crm import rules
from crm.domain.client import ClientStatus, is_restricted
from crm.domain.cors import OriginPolicy, origin_problem
from crm.domain.person import (
    Exchange,
    KeyInformation,
    LookupKey,
    SecuritiesAccount,
    check_open_accounts,
    check_same_person,
    lookup_key,
    lookup_trail,
)
from crm.domain.time import BEIJING
from crm.domain.work import WorkItem, WorkKind, arranged, day_end, item
from crm.errors import Conflict, InvalidInput

PERSON = rules.person()
KEY = KeyInformation(name="张三", phone="13800138000", email=None, birthday=date(1990, 3, 7))


def test_one_person_holds_five_open_accounts_at_most() -> None:
    for open_accounts in range(PERSON.max_open_accounts):
        check_open_accounts(open_accounts, PERSON)
    with pytest.raises(Conflict) as refused:
        check_open_accounts(PERSON.max_open_accounts, PERSON)
    assert refused.value.field == "id_number"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (KeyInformation("张四", "13800138000", None, date(1990, 3, 7)), "name"),
        (KeyInformation("张三", "13900139000", None, date(1990, 3, 7)), "phone"),
        (KeyInformation("张三", "13800138000", "z@example.com", date(1990, 3, 7)), "email"),
        (KeyInformation("张三", "13800138000", None, None), "birthday"),
    ],
)
def test_a_new_account_carries_the_persons_key_information(given: KeyInformation, field: str) -> None:
    check_same_person(KEY, KEY)
    with pytest.raises(Conflict) as refused:
        check_same_person(KEY, given)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ({"client_id": "C1"}, LookupKey.CLIENT_ID),
        ({"securities_account": "A123456789"}, LookupKey.SECURITIES_ACCOUNT),
        ({"id_number": "110101199003074514", "name": None}, LookupKey.ID_NUMBER),
        ({"phone": "13800138000", "client_id": ""}, LookupKey.PHONE),
        ({"name": "张"}, LookupKey.NAME),
    ],
)
def test_a_lookup_names_exactly_one_key(given: dict[str, str | None], key: LookupKey) -> None:
    assert lookup_key(given)[0] is key


def test_none_or_two_keys_are_422_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as none:
        lookup_key({})
    assert none.value.field == "body"
    with pytest.raises(InvalidInput) as two:
        lookup_key({"id_number": "110101199003074514", "name": "张三"})
    assert two.value.field == "name"


@pytest.mark.parametrize(("prefix", "ok"), [("张", True), ("Zh", True), ("Z", False), ("", False), ("ｚ", True)])
def test_a_name_prefix_says_enough(prefix: str, ok: bool) -> None:
    assert (PERSON.name_prefix_problem(prefix) is None) is ok


@pytest.mark.parametrize(
    ("account", "exchange"),
    [("A123456789", Exchange.SH), ("0123456789", Exchange.SZ), ("B123456789", None), ("A12", None)],
)
def test_securities_accounts_are_known_by_their_format(account: str, exchange: Exchange | None) -> None:
    assert PERSON.exchange_of(account) is exchange
    if exchange is not None:
        assert PERSON.account_problem(SecuritiesAccount(exchange, account)) is None
        other = Exchange.SZ if exchange is Exchange.SH else Exchange.SH
        assert PERSON.account_problem(SecuritiesAccount(other, account)) is not None


def test_a_lookup_by_number_is_traced_in_each_found_clients_trail_or_the_lookers() -> None:
    at = datetime(2026, 12, 3, 10, tzinfo=BEIJING)
    found = lookup_trail(LookupKey.ID_NUMBER, "110101********4514", ["C1", "C2"], by="ctr-1", at=at, request_id="r1")
    assert [entry.subject for entry in found] == ["CLIENT#C1", "CLIENT#C2"]
    assert found[0].after == {"looked_up_by": "id_number", "value": "110101********4514", "found": ["C1", "C2"]}
    assert found[0].by == "ctr-1"
    (nothing,) = lookup_trail(LookupKey.PHONE, "138****8000", [], by="ctr-1", at=at, request_id="r2")
    assert nothing.subject == "LOOKUP#ctr-1"


# --- CORS origins -----------------------------------------------------------------------------


def test_exact_origins_and_a_local_any_port() -> None:
    policy = OriginPolicy(("https://crm.example.com", "http://localhost:*"))
    assert policy.allows("https://crm.example.com")
    assert policy.allows("http://localhost:5173")
    for other in ("https://crm.example.com.evil", "http://localhost", "http://localhost:1x", "null", None, ""):
        assert not policy.allows(other), other
    assert policy.headers("https://crm.example.com")["Access-Control-Allow-Origin"] == "https://crm.example.com"
    assert "Access-Control-Allow-Origin" not in policy.headers("https://evil.example.com")
    assert OriginPolicy.parse(policy.serialise()) == policy


@pytest.mark.parametrize("origin", ["*", "https://*.example.com", "http://crm.example.com", "https://crm.example.com/"])
def test_an_origin_that_is_no_origin_is_refused(origin: str) -> None:
    assert origin_problem(origin) is not None


# --- each person's work --------------------------------------------------------------------------


def test_work_is_listed_due_first_with_overdue_flagged_and_counted() -> None:
    now = datetime(2026, 12, 3, 10, tzinfo=BEIJING)
    late = item(WorkKind.CALLBACK, "PD-1", "C1", datetime(2026, 12, 2, 23, 59, 59, tzinfo=BEIJING), now)
    later = item(WorkKind.CONTACT_REPLY, "c-1", "C2", day_end(date(2026, 12, 3)), now)
    items, counts = arranged([later, late, later])
    assert items == [late, later]
    assert (late.overdue, later.overdue) == (True, False)
    assert counts[WorkKind.CALLBACK] == counts[WorkKind.CONTACT_REPLY] == 1
    assert counts[WorkKind.WORK_LOG_MISSING] == 0
    assert isinstance(items[0], WorkItem)


@pytest.mark.parametrize(
    ("statuses", "restricted"),
    [
        ((ClientStatus.CLOSED,), True),
        ((ClientStatus.CLOSED, ClientStatus.TRANSFERRED), True),
        ((ClientStatus.CLOSED, ClientStatus.ACTIVE), False),  # one account open: nothing restricted
        ((ClientStatus.ACTIVE,), False),
    ],
)
def test_a_person_is_restricted_once_every_account_is_closed_or_transferred(
    statuses: tuple[ClientStatus, ...], restricted: bool
) -> None:
    assert is_restricted(statuses) is restricted
