"""The person behind the fund accounts (第29条; the seed's 单客户多银行 guide; DOMAIN §12).

A client record is one fund account (资金账号 = `client_id`). One person — one resident ID
number — holds at most `max_open_accounts` of them still open, and their key information (name,
ID number, phone, e-mail, birthday) is the same on every one: a change made on one account is made
on all. Staff find a client by any one of fund account, securities account, ID number, phone or
name (exact, or a prefix long enough to mean something), within their scope (第29条4); ID and phone
numbers are found through keyed hashes, never in clear in an index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from crm.domain.audit import AuditEntry
from crm.domain.rule_values import whole_number
from crm.errors import Conflict, InvalidInput, RuleTableError


class LookupKey(StrEnum):
    """What a lookup names, one of them (第29条4: 资金账号、证券账号、身份证号码、姓名，任选其一; and phone)."""

    CLIENT_ID = "client_id"
    SECURITIES_ACCOUNT = "securities_account"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"


# Looked up through a keyed hash, and each lookup leaves an audit entry (who looked, what was found).
AUDITED_KEYS = frozenset({LookupKey.ID_NUMBER, LookupKey.PHONE})


class Exchange(StrEnum):
    SH = "SH"  # 上海证券交易所
    SZ = "SZ"  # 深圳证券交易所


@dataclass(frozen=True)
class SecuritiesAccount:
    exchange: Exchange
    account: str

    @property
    def key(self) -> str:
        return f"{self.exchange.value}:{self.account}"


@dataclass(frozen=True)
class PersonRules:
    version: str
    max_open_accounts: int
    min_name_prefix_cjk: int
    min_name_prefix_other: int
    account_formats: Mapping[Exchange, re.Pattern[str]]

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> PersonRules:
        try:
            formats = {
                Exchange(name): re.compile(str(pattern)) for name, pattern in table["securities_accounts"].items()
            }
            rules = cls(
                version=str(table["version"]),
                max_open_accounts=whole_number(table["max_open_accounts"]),
                min_name_prefix_cjk=whole_number(table["min_name_prefix_cjk"]),
                min_name_prefix_other=whole_number(table["min_name_prefix_other"]),
                account_formats=formats,
            )
        except (KeyError, ValueError, re.error) as exc:
            raise RuleTableError(f"person table: {exc!r}") from exc
        if set(formats) != set(Exchange):
            raise RuleTableError(f"person table: a format for each of {', '.join(Exchange)}")
        if rules.max_open_accounts < 1 or min(rules.min_name_prefix_cjk, rules.min_name_prefix_other) < 1:
            raise RuleTableError("person table: every figure is at least 1")
        return rules

    def account_problem(self, account: SecuritiesAccount) -> str | None:
        if not self.account_formats[account.exchange].fullmatch(account.account):
            return f"{account.account} is no {account.exchange.value} securities account"
        return None

    def exchange_of(self, account: str) -> Exchange | None:
        """The exchange whose format an account number has (the formats do not overlap)."""
        return next((exchange for exchange, form in self.account_formats.items() if form.fullmatch(account)), None)

    def name_prefix_problem(self, prefix: str) -> str | None:
        """A name looked up must say enough: at least one Chinese character or two letters."""
        cjk = any(unicodedata.east_asian_width(char) in ("W", "F") for char in prefix)
        needed = self.min_name_prefix_cjk if cjk else self.min_name_prefix_other
        if len(prefix) < needed:
            return f"give at least {needed} character{'s' if needed > 1 else ''} of the name"
        return None


@dataclass(frozen=True)
class KeyInformation:
    """What is the person's, and so the same on each of its accounts (the guide: 客户关键信息)."""

    name: str
    phone: str
    email: str | None
    birthday: date | None


def check_same_person(on_record: KeyInformation, given: KeyInformation) -> None:
    """A new account of a known person carries the person's key information: anything else is a
    mistake to correct first (or a change of the person's, made on all accounts): 409 naming it."""
    for field in ("name", "phone", "email", "birthday"):
        if getattr(on_record, field) != getattr(given, field):
            raise Conflict(
                f"this ID number's holder has another {field} on record: change it on the person's "
                "accounts first, or register the account with the one on record",
                field=field,
            )


def check_open_accounts(open_accounts: int, rules: PersonRules) -> None:
    if open_accounts >= rules.max_open_accounts:
        raise Conflict(
            f"this ID number's holder already has {open_accounts} open fund accounts, "
            f"the most one person may hold ({rules.max_open_accounts})",
            field="id_number",
        )


def lookup_key(given: Mapping[str, object]) -> tuple[LookupKey, str]:
    """The one key of a lookup: exactly one of them (422 naming the field otherwise)."""
    named = [LookupKey(name) for name in LookupKey if given.get(name) not in (None, "")]
    if not named:
        raise InvalidInput(f"give one of {', '.join(LookupKey)}", field="body")
    if len(named) > 1:
        raise InvalidInput(f"give one key only, not {named[0].value} and {named[1].value}", field=named[1].value)
    return named[0], str(given[named[0].value])


def lookup_trail(
    key: LookupKey, shown: str, found: Sequence[str], *, by: str, at: datetime, request_id: str
) -> list[AuditEntry]:
    """What a lookup by ID number or phone leaves in the audit trail (DOMAIN §12): who looked, by
    what (the number masked), which accounts were found — in each found client's trail, or the
    looker's when nothing was found (so the search itself is never untraced)."""
    subjects = [f"CLIENT#{client_id}" for client_id in found] or [f"LOOKUP#{by}"]
    return [
        AuditEntry(
            subject=subject,
            table="lookups",
            key={"looked_up_by": key.value},
            event="LOOKUP",
            at=at,
            sequence=request_id,
            by=by,
            reason=f"looked up by {key.value}",
            evidence_ref=None,
            before={},
            after={"looked_up_by": key.value, "value": shown, "found": list(found)},
        )
        for subject in subjects
    ]
